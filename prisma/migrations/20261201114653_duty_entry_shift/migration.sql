-- The duty-log entries of a handover belong to the shift it closes (seed 004 篇3 §1.3: the
-- outgoing shift records its own handover, §2.3: both sign it and the supervisor reviews it with
-- the log of that shift). They are written after that shift ended, so the [startsAt, endsAt)
-- window put them into the log of the next shift. DutyLogEntry.shiftId now names the shift.
-- (No semicolons or quotes in these comments: the schema engine splits statements on them.)

-- AlterTable
ALTER TABLE "DutyLogEntry" ADD COLUMN     "shiftId" TEXT;

-- CreateIndex
CREATE INDEX "DutyLogEntry_shiftId_idx" ON "DutyLogEntry"("shiftId");

-- Entries written before: the lines of a handover go to the shift whose handover was open when
-- they were written, the last shift whose handover the hub had opened by then (what the hub
-- itself treats as the pending handover). Lines from before shifts existed keep their place.
UPDATE "DutyLogEntry" e
SET "shiftId" = (
  SELECT s."id" FROM "DutyShift" s
  WHERE s."handoverOpenedAt" IS NOT NULL AND s."handoverOpenedAt" <= e."at"
  ORDER BY s."endsAt" DESC
  LIMIT 1
)
WHERE e."key" IN (
  'records.duty.handover_opened',
  'records.duty.handover_created',
  'records.duty.handover_checks_failed',
  'records.duty.handover_accepted',
  'records.duty.handover_refused'
);
