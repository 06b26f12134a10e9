-- AlterTable
ALTER TABLE "NotificationChain" ADD COLUMN     "claimedBy" TEXT,
ADD COLUMN     "claimedUntil" TIMESTAMPTZ(3);
