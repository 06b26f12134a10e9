// A bare aedes 1.2 broker as its own process (the ratio anchor of `npm run bench`): defaults,
// no authentication, no hooks, in-memory persistence, on an ephemeral loopback port. Prints one
// JSON line {"port": n} on stdout when listening; stops on SIGTERM.
import net from 'node:net';
import { Aedes } from 'aedes';

const aedes = new Aedes();
await aedes.listen();
const server = net.createServer((s) => aedes.handle(s));
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: (server.address() as net.AddressInfo).port }) + '\n');
});
process.on('SIGTERM', () => {
  server.close();
  aedes.close(() => process.exit(0));
});
