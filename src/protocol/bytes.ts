/** Big-endian integers as the TKE wire formats write them. */

export function u32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}

export function readU32(bytes: Uint8Array, offset = 0): number {
  if (offset + 4 > bytes.length) throw new RangeError(`expected 4 bytes at offset ${offset}, have ${Math.max(0, bytes.length - offset)}`);
  return new DataView(bytes.buffer, bytes.byteOffset + offset, 4).getUint32(0);
}
