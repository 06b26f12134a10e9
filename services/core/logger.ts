import { pino, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

export function createLogger(level: string, name = 'hub'): Logger {
  return pino({ name, level });
}
