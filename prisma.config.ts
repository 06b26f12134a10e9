// Prisma 7 CLI configuration. The datasource URL is only needed by CLI commands that talk
// to a database (`prisma migrate deploy` where engines can be downloaded); the hub itself
// applies migrations with prisma/migrate.ts and connects through @prisma/adapter-pg.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost:5432/postgres' },
});
