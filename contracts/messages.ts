// User-visible text is stored as a key and its parameters and rendered late, by each reader in
// its own locale (ARCHITECTURE.md "Store keys, render late"): timeline reasons, duty-log
// entries, incident titles, follow-up subjects, refusal messages. The labels behind the keys
// are served by GET /api/procedures (`labels`), so the dashboard renders them itself.
import { z } from 'zod';

export const LOCALES = ['zh-CN', 'en'] as const;
export const Locale = z.enum(LOCALES);
export type Locale = z.infer<typeof Locale>;

/** [zh-CN, en]; `{name}` is filled from the params, `[? … ]` is dropped when a param inside is empty. */
export type Label = readonly [string, string];

/**
 * A message: a key into the label catalog plus parameters. A parameter may itself be a
 * message (`{key, params}`), text a person typed (`{text}`) or a point in time (`{time}`,
 * epoch ms, formatted by the reader).
 */
export interface Msg {
  key: string;
  params?: Record<string, unknown>;
}
/** What a person typed: shown exactly as typed, in every locale. */
export interface Said {
  text: string;
}
export type Text = Msg | Said;

export const Msg: z.ZodType<Msg> = z.object({ key: z.string(), params: z.record(z.string(), z.unknown()).optional() });
export const Said: z.ZodType<Said> = z.object({ text: z.string() });
export const Text = z.union([Msg, Said]);

/** One line of an incident's "details" panel: a label and its value (procedure views). */
export const Fact = z.object({ key: z.string(), label: Msg, value: z.union([Msg, Said, z.object({ time: z.number() })]) });
export type Fact = z.infer<typeof Fact>;
