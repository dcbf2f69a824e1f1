/**
 * A 64-bit content hash (two independent 32-bit multiply–rotate lanes over the bytes, 4 at a time)
 * for telling inputs apart in checkpoint fingerprints. Not cryptographic: it detects a different
 * image or weights file, it does not resist someone forging one.
 */
export function hashBytes(parts: ReadonlyArray<ArrayBufferView>): string {
  let h1 = 0x9747b28c;
  let h2 = 0x85ebca77;
  const mix = (h: number, k: number, m: number): number => {
    k = Math.imul(k, m);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    return (Math.imul(h, 5) + 0xe6546b64) | 0;
  };
  let length = 0;
  for (const part of parts) {
    const bytes = new Uint8Array(part.buffer, part.byteOffset, part.byteLength);
    const words = Math.floor(bytes.length / 4);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < words; i++) {
      const k = view.getUint32(i * 4, true);
      h1 = mix(h1, k, 0xcc9e2d51);
      h2 = mix(h2, k ^ i, 0x2c1b3c6d);
    }
    for (let i = words * 4; i < bytes.length; i++) {
      h1 = mix(h1, bytes[i], 0xcc9e2d51);
      h2 = mix(h2, bytes[i] ^ i, 0x2c1b3c6d);
    }
    length += bytes.length;
    // The part boundaries count: ["ab","c"] and ["a","bc"] differ.
    h1 = mix(h1, bytes.length, 0xcc9e2d51);
    h2 = mix(h2, bytes.length, 0x2c1b3c6d);
  }
  const final = (h: number): number => {
    h ^= length;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    return (h ^ (h >>> 16)) >>> 0;
  };
  return final(h1).toString(16).padStart(8, '0') + final(h2).toString(16).padStart(8, '0');
}
