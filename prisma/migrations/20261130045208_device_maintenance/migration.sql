-- CreateTable
CREATE TABLE "DeviceMaintenance" (
    "id" TEXT NOT NULL,
    "deviceId" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "startedBy" TEXT NOT NULL,
    "startedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "until" TIMESTAMPTZ(3) NOT NULL,
    "endedAt" TIMESTAMPTZ(3),
    "endedBy" TEXT,

    CONSTRAINT "DeviceMaintenance_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "DeviceMaintenance_deviceId_endedAt_idx" ON "DeviceMaintenance"("deviceId", "endedAt");

-- AddForeignKey
ALTER TABLE "DeviceMaintenance" ADD CONSTRAINT "DeviceMaintenance_deviceId_fkey" FOREIGN KEY ("deviceId") REFERENCES "Device"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
