-- Issue 12: the QoS1 event path. The foreign key's per-row check (a SELECT … FOR KEY SHARE on the
-- Device row for every stored event) cost PostgreSQL ≈ 6–9 µs of its ≈ 26 per event. Events are
-- stored only for devices the broker authenticated, and devices are never deleted (disabled
-- instead), so the key guarded nothing the write path does not (prisma/schema.prisma).

-- DropForeignKey
ALTER TABLE "DeviceEvent" DROP CONSTRAINT "DeviceEvent_deviceId_fkey";
