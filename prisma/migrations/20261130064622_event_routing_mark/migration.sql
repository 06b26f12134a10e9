-- AlterTable
ALTER TABLE "DeviceEvent" ADD COLUMN     "pendingBy" TEXT;

-- CreateIndex
CREATE INDEX "DeviceEvent_pending" ON "DeviceEvent"("pendingBy") WHERE ("pendingBy" IS NOT NULL);
