-- AlterEnum
ALTER TYPE "DeviceClass" ADD VALUE 'water';
