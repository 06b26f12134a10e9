-- AlterTable
ALTER TABLE "PlannedOutage" ADD COLUMN     "flags" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "shortNoticeReason" TEXT;
