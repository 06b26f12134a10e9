-- AlterTable
ALTER TABLE "Incident" ADD COLUMN     "dedupLive" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "IncidentTimer" ADD COLUMN     "claimedBy" TEXT,
ADD COLUMN     "claimedUntil" TIMESTAMPTZ(3);

-- Backfill: the newest open incident per (kind, building, dedupKey) is the live one, a visitor
-- call stays live only while nobody has answered it (services/visitors/machine.ts dedupMatches).
UPDATE "Incident" AS i SET "dedupLive" = true
  FROM (
    SELECT id, row_number() OVER (PARTITION BY "kind", "buildingId", "dedupKey" ORDER BY "openedAt" DESC, id) AS n
      FROM "Incident"
     WHERE "open" AND "dedupKey" IS NOT NULL
       AND ("kind" <> 'visitor_approval' OR "state" IN ('requested', 'unreachable'))
  ) AS x
 WHERE i.id = x.id AND x.n = 1;

-- CreateIndex
CREATE UNIQUE INDEX "Incident_live_dedup_key" ON "Incident"("kind", "buildingId", "dedupKey") WHERE ("dedupLive");
