/** Which images WhatsApp takes as a group picture: recognised by their magic bytes, never by a declared type. */

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** 'jpeg', 'png', or undefined for anything else. */
export function imageKind(data: Buffer): 'jpeg' | 'png' | undefined {
  if (data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return 'jpeg';
  if (data.subarray(0, 8).equals(PNG_MAGIC)) return 'png';
  return undefined;
}
