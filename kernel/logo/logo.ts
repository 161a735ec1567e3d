/**
 * The kernel's logo, drawn in code rather than shipped as binary files: a white nabla (∇, the
 * gradient) on TypeScript blue, written as an RGBA PNG of any size for the kernelspec.
 */
import { crc32, deflateSync } from "node:zlib";

const BLUE = [0x31, 0x78, 0xc6, 0xff];
const WHITE = [0xff, 0xff, 0xff, 0xff];
const CLEAR = [0, 0, 0, 0];

/** The colour at pixel (x, y) of a size×size logo: a rounded square holding a nabla outline. */
function pixel(x: number, y: number, size: number): number[] {
  const u = (x + 0.5) / size;
  const v = (y + 0.5) / size;
  const corner = 0.18;
  const dx = Math.max(corner - u, u - (1 - corner), 0);
  const dy = Math.max(corner - v, v - (1 - corner), 0);
  if (dx * dx + dy * dy > corner * corner) return CLEAR;
  // The nabla: a triangle pointing down, top edge at v = 0.25, apex at (0.5, 0.8).
  const inside = (inset: number) => {
    const top = 0.25 + inset;
    const apex = 0.8 - inset * 2.2;
    if (v < top || v > apex) return false;
    const halfWidth = 0.3 * (apex - v) / (apex - 0.25) - inset * 0.2;
    return Math.abs(u - 0.5) <= halfWidth;
  };
  return inside(0) && !inside(0.09) ? WHITE : BLUE;
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const checksum = Buffer.alloc(4);
  checksum.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, checksum]);
}

export function logoPng(size: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8 bits per channel, RGBA, deflate, no filter, no interlace
  const rows: number[] = [];
  for (let y = 0; y < size; y++) {
    rows.push(0); // filter type "none" for each scanline
    for (let x = 0; x < size; x++) rows.push(...pixel(x, y, size));
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(Buffer.from(rows))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}
