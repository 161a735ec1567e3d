// Colour scales. The diverging scale's middle is the editor background, so zero blends into the
// page in light, dark and high-contrast themes alike and only non-zero entries stand out.

export type Rgb = [number, number, number];

const NEGATIVE: Rgb = [49, 110, 220];
const POSITIVE: Rgb = [220, 60, 50];
// Viridis, sampled: perceptually even and readable on light and dark backgrounds.
const SEQUENTIAL: Rgb[] = [
  [68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37],
];

/** Parses `#rgb`, `#rrggbb`, `#rrggbbaa` and `rgb()/rgba()`; null for anything else. */
export function parseColor(text: string): Rgb | null {
  const value = text.trim();
  const hex = /^#([0-9a-f]{3,8})$/i.exec(value);
  if (hex) {
    const digits = hex[1];
    if (digits.length === 3) return [...digits].map((d) => parseInt(d + d, 16)) as Rgb;
    if (digits.length === 6 || digits.length === 8) {
      return [0, 2, 4].map((i) => parseInt(digits.slice(i, i + 2), 16)) as Rgb;
    }
    return null;
  }
  const rgb = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)/i.exec(value);
  return rgb ? ([1, 2, 3].map((i) => Math.round(Number(rgb[i]))) as Rgb) : null;
}

function mix(a: Rgb, b: Rgb, t: number): Rgb {
  return [0, 1, 2].map((i) => Math.round(a[i] + (b[i] - a[i]) * t)) as Rgb;
}

export function toCss([r, g, b]: Rgb): string {
  return `rgb(${r}, ${g}, ${b})`;
}

/**
 * Maps a value to a colour on a scale centred on 0 and symmetric (±limit), so equal magnitudes
 * get equal intensity whatever their sign. Non-finite values get `invalid`.
 */
export function divergingColor(value: number | null, limit: number, middle: Rgb, invalid: Rgb = [128, 128, 128]): Rgb {
  if (value === null || !Number.isFinite(value)) return invalid;
  if (limit <= 0 || value === 0) return middle;
  const t = Math.min(1, Math.abs(value) / limit);
  return mix(middle, value < 0 ? NEGATIVE : POSITIVE, t);
}

/** Maps `t` in [0, 1] to the sequential (viridis) scale. */
export function sequentialColor(t: number): Rgb {
  if (!Number.isFinite(t)) return [128, 128, 128];
  const clamped = Math.min(1, Math.max(0, t)) * (SEQUENTIAL.length - 1);
  const low = Math.floor(clamped);
  const high = Math.min(SEQUENTIAL.length - 1, low + 1);
  return mix(SEQUENTIAL[low], SEQUENTIAL[high], clamped - low);
}
