// Mainland China phone numbers, checked but stored as given (issue 8: "stored as given").
// Formats accepted, after removing spaces, dashes, dots and brackets:
//  - mobile: 11 digits 1[3-9]xxxxxxxxx (MIIT numbering plan), optionally +86 / 0086 / 86 in front;
//  - landline: trunk 0 + area code (2–3 digits after the 0, e.g. 010, 021, 0755) + a 7–8 digit
//    subscriber number, optionally +86 without the trunk 0 and an extension (转 / ext / # / -);
//  - for contacts only, service lines: 400/800 numbers (10 digits) and the short public
//    service numbers companies publish (95598 power, 96333 elevator emergency, 12345 city hotline, 110/119/120…).

const SEPARATORS = /[\s\-().()·]/g;

function splitExtension(raw: string): { main: string; ext: string | null } {
  const m = /^(.*?)(?:\s*(?:转|分机|ext\.?|x|#)\s*(\d{1,6}))$/i.exec(raw.trim());
  return m ? { main: m[1]!, ext: m[2]! } : { main: raw.trim(), ext: null };
}

function stripCountry(d: string): { digits: string; international: boolean } {
  if (d.startsWith('+86')) return { digits: d.slice(3), international: true };
  if (d.startsWith('0086')) return { digits: d.slice(4), international: true };
  return { digits: d, international: false };
}

export function isMobile(raw: string): boolean {
  const { digits } = stripCountry(raw.trim().replace(SEPARATORS, ''));
  const d = digits.length === 13 && digits.startsWith('86') ? digits.slice(2) : digits;
  return /^1[3-9]\d{9}$/.test(d);
}

export function isLandline(raw: string): boolean {
  // "021-12345678-801": a trailing "-NNN" after a full number is an extension
  let { main, ext } = splitExtension(raw);
  if (!ext) {
    const m = /^(.*\d{7,8})-(\d{1,6})$/.exec(main.trim());
    if (m && /^(\+86|0086)?\s*\(?0?\d{2,3}\)?[\s-]?\d{7,8}$/.test(m[1]!.trim())) {
      main = m[1]!;
      ext = m[2]!;
    }
  }
  const { digits, international } = stripCountry(main.replace(SEPARATORS, ''));
  if (!/^\d+$/.test(digits)) return false;
  // with +86 the trunk 0 is dropped: +86 21 12345678
  const national = international ? `0${digits}` : digits;
  // area codes: 010 and 02x (3 digits with the 0) take 8-digit numbers; 0xxx (4 digits) 7 or 8
  return /^0(10|2\d)\d{8}$/.test(national) || /^0[3-9]\d{2}\d{7,8}$/.test(national);
}

/** Owner phones: a mobile or a landline. */
export function isOwnerPhone(raw: string): boolean {
  return isMobile(raw) || isLandline(raw);
}

/** Contact phones: also 400/800 service numbers and short public service numbers. */
export function isContactPhone(raw: string): boolean {
  if (isOwnerPhone(raw)) return true;
  const d = raw.trim().replace(SEPARATORS, '');
  return /^[48]00\d{7}$/.test(d) || /^(11[09]|12[02]|12\d{3}|9[56]\d{3,4})$/.test(d);
}
