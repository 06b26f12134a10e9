// Floor plans (issue 14; docs/contract.md "Floor plans"): a plan image per building floor and
// where each device sits on it. Positions are fractions (0–1) of the image's width and height.
import { z } from 'zod';
import { Id } from './domain.js';

/** PNG and JPEG only: an SVG may carry script, and a plan needs nothing a bitmap can not show. */
export const FLOOR_PLAN_MIME = ['image/png', 'image/jpeg'] as const;
export type FloorPlanMime = (typeof FLOOR_PLAN_MIME)[number];
/** a scanned or exported plan fits easily; more is a photo of a wall chart that should be cropped */
export const MAX_FLOOR_PLAN_BYTES = 2 * 1024 * 1024;

export const FloorPlanParams = z.object({
  building: Id,
  floor: z.coerce.number().int().min(-10).max(300),
});
export const PlacementParams = FloorPlanParams.extend({ deviceId: Id });

export const FloorPlanQuery = z.object({ building: Id.optional() });

export const FloorPlanBody = z.object({
  /** checked against the bytes: a renamed SVG or GIF is refused (HUB_ERR_PLAN_TYPE) */
  mime: z.string().min(1).max(100),
  /** the image, base64 (≤ 2 MB decoded); a `data:` URL prefix is accepted */
  dataBase64: z.string().min(1),
});

export const PlacementBody = z.object({
  x: z.number().min(0).max(1),
  y: z.number().min(0).max(1),
});

export const PlacementView = z.object({
  deviceId: z.string(),
  x: z.number(),
  y: z.number(),
  placedAt: z.number(),
});

export const FloorPlanView = z.object({
  building: z.string(),
  floor: z.number(),
  mime: z.enum(FLOOR_PLAN_MIME),
  size: z.number(),
  updatedAt: z.number(),
  updatedByName: z.string().nullable(),
  /** GET it for the image (its bytes, cache-busted by updatedAt) */
  url: z.string(),
  placements: z.array(PlacementView),
});
export type FloorPlanView = z.infer<typeof FloorPlanView>;
export type PlacementView = z.infer<typeof PlacementView>;
