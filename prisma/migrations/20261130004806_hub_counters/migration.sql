-- CreateTable
CREATE TABLE "HubCounter" (
    "name" TEXT NOT NULL,
    "value" BIGINT NOT NULL,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "HubCounter_pkey" PRIMARY KEY ("name")
);
