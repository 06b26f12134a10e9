-- Issue 12: the per-event routed mark becomes a per-process watermark (services/devices/replay.ts).
-- Clearing the mark was a second, non-HOT write of every event row.

-- DropIndex
DROP INDEX "DeviceEvent_pending";

-- AlterTable: the column keeps its values (who stored the row) under its new meaning
ALTER TABLE "DeviceEvent" RENAME COLUMN "pendingBy" TO "storedBy";

-- CreateTable
CREATE TABLE "EventRouting" (
    "storedBy" TEXT NOT NULL,
    "routedBefore" TIMESTAMPTZ(3) NOT NULL,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "EventRouting_pkey" PRIMARY KEY ("storedBy")
);

-- Rows the old scheme still marks were stored and never routed (routing cleared the mark): each
-- process that left some gets a watermark at its oldest one, so the next sweep routes them
INSERT INTO "EventRouting" ("storedBy", "routedBefore")
SELECT "storedBy", min("receivedAt") FROM "DeviceEvent" WHERE "storedBy" IS NOT NULL GROUP BY "storedBy";

-- CreateIndex
CREATE INDEX "DeviceEvent_receivedAt_brin" ON "DeviceEvent" USING BRIN ("receivedAt");
