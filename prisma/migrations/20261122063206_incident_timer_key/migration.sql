-- DropIndex
DROP INDEX "IncidentTimer_incidentId_idx";

-- CreateIndex
CREATE UNIQUE INDEX "IncidentTimer_incidentId_key_key" ON "IncidentTimer"("incidentId", "key");
