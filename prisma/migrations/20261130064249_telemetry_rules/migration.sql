-- CreateTable
CREATE TABLE "TelemetryRule" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "deviceClass" TEXT,
    "deviceId" TEXT,
    "metric" TEXT NOT NULL,
    "comparison" TEXT NOT NULL,
    "threshold" DOUBLE PRECISION,
    "low" DOUBLE PRECISION,
    "high" DOUBLE PRECISION,
    "durationSeconds" INTEGER NOT NULL DEFAULT 0,
    "hysteresis" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "severity" TEXT NOT NULL DEFAULT 'medium',
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "createdBy" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TelemetryRule_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "TelemetryRule_enabled_idx" ON "TelemetryRule"("enabled");
