-- AlterTable
ALTER TABLE "Handover" ADD COLUMN     "checks" JSONB NOT NULL DEFAULT '[]',
ADD COLUMN     "shiftId" TEXT;

-- CreateTable
CREATE TABLE "DutyShift" (
    "id" TEXT NOT NULL,
    "defId" TEXT NOT NULL,
    "name" JSONB NOT NULL,
    "startsAt" TIMESTAMPTZ(3) NOT NULL,
    "endsAt" TIMESTAMPTZ(3) NOT NULL,
    "signedBy" TEXT,
    "signedAt" TIMESTAMPTZ(3),
    "signNote" TEXT NOT NULL DEFAULT '',
    "legacyDay" TEXT,
    "handoverOpenedAt" TIMESTAMPTZ(3),
    "spotCheckedBy" TEXT,
    "spotCheckedAt" TIMESTAMPTZ(3),
    "spotCheckNote" TEXT NOT NULL DEFAULT '',

    CONSTRAINT "DutyShift_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DutyMonthReview" (
    "month" TEXT NOT NULL,
    "reviewedBy" TEXT NOT NULL,
    "reviewedAt" TIMESTAMPTZ(3) NOT NULL,
    "note" TEXT NOT NULL DEFAULT '',

    CONSTRAINT "DutyMonthReview_pkey" PRIMARY KEY ("month")
);

-- CreateIndex
CREATE UNIQUE INDEX "DutyShift_startsAt_key" ON "DutyShift"("startsAt");

-- CreateIndex
CREATE INDEX "DutyShift_endsAt_idx" ON "DutyShift"("endsAt");

-- CreateIndex
CREATE INDEX "DutyLogEntry_at_idx" ON "DutyLogEntry"("at");

-- CreateIndex
CREATE INDEX "Handover_shiftId_idx" ON "Handover"("shiftId");

-- Data: the duty log was kept per day until now. Carry it onto the default shifts (08:00–18:00
-- 白班, 18:00–08:00 夜班, China Standard Time, UTC+8 — the offset the day log used): every day that
-- has entries or a signature gets the shifts that touch it, so each old entry now falls in a shift
-- by its time. A day signature signs the shifts that touch that day and had ENDED when the
-- supervisor signed (the signer could have read all of them). the others stay unsigned and are
-- reminded like any unsigned shift. The day signature rows themselves are kept as written.
INSERT INTO "DutyShift" ("id", "defId", "name", "startsAt", "endsAt")
SELECT to_char(s.sd, 'YYYY-MM-DD') || 'T' || s.hhmm,
       s.def,
       s.nm::jsonb,
       ((s.sd::timestamp + s.st) - interval '480 minutes') AT TIME ZONE 'UTC',
       ((s.sd::timestamp + s.en) - interval '480 minutes') AT TIME ZONE 'UTC'
FROM (
  SELECT DISTINCT x.d FROM (
    SELECT "day"::date AS d FROM "DutyLogEntry"
    UNION SELECT "day"::date FROM "DutyLogSignature"
  ) x
) days
CROSS JOIN LATERAL (VALUES
  (days.d - 1, '1800', 'night', '["夜班","Night shift"]', interval '18 hours', interval '32 hours'),
  (days.d,     '0800', 'day',   '["白班","Day shift"]',   interval '8 hours',  interval '18 hours'),
  (days.d,     '1800', 'night', '["夜班","Night shift"]', interval '18 hours', interval '32 hours')
) AS s(sd, hhmm, def, nm, st, en)
ON CONFLICT DO NOTHING;

UPDATE "DutyShift" t
SET "signedBy" = g."signedBy", "signedAt" = g."signedAt", "signNote" = g."note", "legacyDay" = g."day"
FROM (
  SELECT DISTINCT ON (s."id") s."id", d."day", d."signedBy", d."signedAt", d."note"
  FROM "DutyShift" s
  JOIN "DutyLogSignature" d
    ON d."signedAt" >= s."endsAt"
   AND d."day"::date BETWEEN (s."startsAt" AT TIME ZONE 'UTC' + interval '480 minutes')::date
                         AND (s."endsAt" AT TIME ZONE 'UTC' + interval '480 minutes' - interval '1 millisecond')::date
  ORDER BY s."id", d."signedAt"
) g
WHERE t."id" = g."id" AND t."signedAt" IS NULL;
