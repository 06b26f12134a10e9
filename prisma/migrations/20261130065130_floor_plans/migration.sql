-- CreateTable
CREATE TABLE "FloorPlan" (
    "buildingId" TEXT NOT NULL,
    "floor" INTEGER NOT NULL,
    "mime" TEXT NOT NULL,
    "image" BYTEA NOT NULL,
    "uploadedBy" TEXT NOT NULL,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "FloorPlan_pkey" PRIMARY KEY ("buildingId","floor")
);

-- CreateTable
CREATE TABLE "DevicePlacement" (
    "deviceId" TEXT NOT NULL,
    "buildingId" TEXT NOT NULL,
    "floor" INTEGER NOT NULL,
    "x" DOUBLE PRECISION NOT NULL,
    "y" DOUBLE PRECISION NOT NULL,
    "placedBy" TEXT NOT NULL,
    "placedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "DevicePlacement_pkey" PRIMARY KEY ("deviceId")
);

-- CreateIndex
CREATE INDEX "DevicePlacement_buildingId_floor_idx" ON "DevicePlacement"("buildingId", "floor");

-- AddForeignKey
ALTER TABLE "FloorPlan" ADD CONSTRAINT "FloorPlan_buildingId_fkey" FOREIGN KEY ("buildingId") REFERENCES "Building"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DevicePlacement" ADD CONSTRAINT "DevicePlacement_buildingId_floor_fkey" FOREIGN KEY ("buildingId", "floor") REFERENCES "FloorPlan"("buildingId", "floor") ON DELETE CASCADE ON UPDATE CASCADE;
