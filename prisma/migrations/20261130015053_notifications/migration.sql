-- AlterTable
ALTER TABLE "PlannedOutage" ADD COLUMN     "noticeSentAt" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "NotificationChannel" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "config" JSONB NOT NULL DEFAULT '{}',
    "secrets" TEXT NOT NULL DEFAULT '',
    "fallbackChannelId" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "NotificationChannel_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "EscalationPolicy" (
    "kind" TEXT NOT NULL,
    "levels" JSONB NOT NULL,
    "repeatEverySeconds" INTEGER,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedBy" TEXT NOT NULL,

    CONSTRAINT "EscalationPolicy_pkey" PRIMARY KEY ("kind")
);

-- CreateTable
CREATE TABLE "OnCallShift" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "startsAt" TIMESTAMPTZ(3) NOT NULL,
    "endsAt" TIMESTAMPTZ(3) NOT NULL,
    "buildings" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "repeatEveryDays" INTEGER,
    "until" TIMESTAMPTZ(3),
    "override" BOOLEAN NOT NULL DEFAULT false,
    "note" TEXT NOT NULL DEFAULT '',
    "createdBy" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deletedAt" TIMESTAMPTZ(3),

    CONSTRAINT "OnCallShift_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "NotifyProfile" (
    "userId" TEXT NOT NULL,
    "phone" TEXT NOT NULL DEFAULT '',
    "email" TEXT NOT NULL DEFAULT '',
    "channels" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "NotifyProfile_pkey" PRIMARY KEY ("userId")
);

-- CreateTable
CREATE TABLE "NotificationChain" (
    "incidentId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "buildingId" TEXT NOT NULL,
    "policy" JSONB NOT NULL,
    "openedAt" TIMESTAMPTZ(3) NOT NULL,
    "nextLevel" INTEGER NOT NULL DEFAULT 0,
    "nextRound" INTEGER NOT NULL DEFAULT 0,
    "nextAt" TIMESTAMPTZ(3),
    "stoppedAt" TIMESTAMPTZ(3),
    "stopReason" TEXT,

    CONSTRAINT "NotificationChain_pkey" PRIMARY KEY ("incidentId")
);

-- CreateTable
CREATE TABLE "NotificationMessage" (
    "id" TEXT NOT NULL,
    "channelId" TEXT NOT NULL,
    "mailbox" TEXT NOT NULL,
    "target" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lastError" TEXT,
    "notBefore" TIMESTAMPTZ(3) NOT NULL,
    "sentAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "NotificationMessage_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "NotificationDelivery" (
    "id" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "incidentId" TEXT,
    "noticeId" TEXT,
    "reason" TEXT NOT NULL,
    "level" INTEGER NOT NULL DEFAULT 0,
    "round" INTEGER NOT NULL DEFAULT 0,
    "channelId" TEXT NOT NULL,
    "target" TEXT NOT NULL,
    "address" TEXT NOT NULL DEFAULT '',
    "chain" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "fallbackOf" TEXT,
    "state" TEXT NOT NULL DEFAULT 'queued',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lastError" TEXT,
    "messageId" TEXT,
    "payload" JSONB NOT NULL DEFAULT '{}',
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sentAt" TIMESTAMPTZ(3),

    CONSTRAINT "NotificationDelivery_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AckLink" (
    "id" TEXT NOT NULL,
    "incidentId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "deliveryId" TEXT NOT NULL,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,
    "usedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AckLink_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ResidentNotice" (
    "id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "buildingId" TEXT NOT NULL,
    "floors" INTEGER[] DEFAULT ARRAY[]::INTEGER[],
    "text" TEXT NOT NULL,
    "channelId" TEXT NOT NULL,
    "plannedOutageId" TEXT,
    "createdBy" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sentAt" TIMESTAMPTZ(3),

    CONSTRAINT "ResidentNotice_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "NotifyKey" (
    "id" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "NotifyKey_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "OnCallShift_role_startsAt_idx" ON "OnCallShift"("role", "startsAt");

-- CreateIndex
CREATE INDEX "NotificationChain_stoppedAt_nextAt_idx" ON "NotificationChain"("stoppedAt", "nextAt");

-- CreateIndex
CREATE INDEX "NotificationMessage_mailbox_state_idx" ON "NotificationMessage"("mailbox", "state");

-- CreateIndex
CREATE UNIQUE INDEX "NotificationDelivery_key_key" ON "NotificationDelivery"("key");

-- CreateIndex
CREATE INDEX "NotificationDelivery_incidentId_idx" ON "NotificationDelivery"("incidentId");

-- CreateIndex
CREATE INDEX "NotificationDelivery_noticeId_idx" ON "NotificationDelivery"("noticeId");

-- CreateIndex
CREATE INDEX "NotificationDelivery_messageId_idx" ON "NotificationDelivery"("messageId");

-- CreateIndex
CREATE INDEX "AckLink_incidentId_idx" ON "AckLink"("incidentId");

-- CreateIndex
CREATE INDEX "ResidentNotice_buildingId_createdAt_idx" ON "ResidentNotice"("buildingId", "createdAt");
