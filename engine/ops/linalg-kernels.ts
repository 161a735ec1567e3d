/**
 * Dense matrix numerics on one row-major matrix at a time, in float64 whatever the tensor's
 * dtype: LU with partial pivoting, Cholesky, triangular solves and Householder QR.
 */

export interface LU {
  lu: Float64Array;
  perm: Int32Array;
  /** +1 or -1: the parity of the row swaps. */
  parity: number;
  /** True when a pivot is zero at the dtype's precision. */
  singular: boolean;
}

export function luDecompose(a: ArrayLike<number>, offset: number, n: number, epsilon: number): LU {
  const lu = Float64Array.from({ length: n * n }, (_, i) => a[offset + i]);
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  let parity = 1, singular = false, scale = 0;
  for (let i = 0; i < n * n; i++) scale = Math.max(scale, Math.abs(lu[i]));
  const tiny = scale * n * epsilon;
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(lu[i * n + k]) > Math.abs(lu[p * n + k])) p = i;
    if (p !== k) {
      for (let j = 0; j < n; j++) { const t = lu[k * n + j]; lu[k * n + j] = lu[p * n + j]; lu[p * n + j] = t; }
      const t = perm[k]; perm[k] = perm[p]; perm[p] = t;
      parity = -parity;
    }
    const pivot = lu[k * n + k];
    if (!(Math.abs(pivot) > tiny)) { singular = true; continue; }
    for (let i = k + 1; i < n; i++) {
      const f = (lu[i * n + k] /= pivot);
      if (f !== 0) for (let j = k + 1; j < n; j++) lu[i * n + j] -= f * lu[k * n + j];
    }
  }
  return { lu, perm, parity, singular };
}

/** Solves A X = B for X ([n, k]) given A's LU factors; B is read at `offset`, X written at `outOffset`. */
export function luSolve({ lu, perm }: LU, n: number, b: ArrayLike<number>, offset: number, k: number, out: { [i: number]: number }, outOffset: number): void {
  const x = new Float64Array(n * k);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) x[i * k + j] = b[offset + perm[i] * k + j];
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < i; p++) { const f = lu[i * n + p]; if (f !== 0) for (let j = 0; j < k; j++) x[i * k + j] -= f * x[p * k + j]; }
  }
  for (let i = n - 1; i >= 0; i--) {
    for (let p = i + 1; p < n; p++) { const f = lu[i * n + p]; if (f !== 0) for (let j = 0; j < k; j++) x[i * k + j] -= f * x[p * k + j]; }
    const d = lu[i * n + i];
    for (let j = 0; j < k; j++) x[i * k + j] /= d;
  }
  for (let i = 0; i < n * k; i++) out[outOffset + i] = x[i];
}

/** The lower Cholesky factor of a symmetric positive-definite matrix, or null when it is not one. */
export function choleskyFactor(a: ArrayLike<number>, offset: number, n: number): Float64Array | null {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = a[offset + j * n + j];
    for (let p = 0; p < j; p++) d -= l[j * n + p] * l[j * n + p];
    if (!(d > 0)) return null;
    const ljj = Math.sqrt(d);
    l[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = a[offset + i * n + j];
      for (let p = 0; p < j; p++) s -= l[i * n + p] * l[j * n + p];
      l[i * n + j] = s / ljj;
    }
  }
  return l;
}

/**
 * Solves op(T) X = B with T triangular ([n, n], only its `lower` or upper triangle read) and
 * op(T) = Tᵀ when `transposed`. Returns false when a diagonal entry is zero.
 */
export function triangularSolveInto(
  t: ArrayLike<number>, tOff: number, n: number, lower: boolean, transposed: boolean,
  b: ArrayLike<number>, bOff: number, k: number, out: { [i: number]: number }, outOff: number,
): boolean {
  // Tᵀ of a lower matrix is upper: what matters is whether the effective matrix is lower.
  const effectiveLower = lower !== transposed;
  const at = (i: number, j: number): number => (transposed ? t[tOff + j * n + i] : t[tOff + i * n + j]);
  const x = new Float64Array(n * k);
  for (let step = 0; step < n; step++) {
    const i = effectiveLower ? step : n - 1 - step;
    const d = at(i, i);
    if (d === 0) return false;
    for (let j = 0; j < k; j++) {
      let s = b[bOff + i * k + j];
      if (effectiveLower) for (let p = 0; p < i; p++) s -= at(i, p) * x[p * k + j];
      else for (let p = i + 1; p < n; p++) s -= at(i, p) * x[p * k + j];
      x[i * k + j] = s / d;
    }
  }
  for (let i = 0; i < n * k; i++) out[outOff + i] = x[i];
  return true;
}

/** Reduced QR of an [m, n] matrix (m ≥ n) by Householder reflections: Q [m, n], R [n, n]. */
export function householderQR(a: ArrayLike<number>, offset: number, m: number, n: number): { q: Float64Array; r: Float64Array } {
  const r = Float64Array.from({ length: m * n }, (_, i) => a[offset + i]);
  const vs: Float64Array[] = [];
  for (let k = 0; k < n; k++) {
    const v = new Float64Array(m);
    let norm = 0;
    for (let i = k; i < m; i++) { v[i] = r[i * n + k]; norm += v[i] * v[i]; }
    norm = Math.sqrt(norm);
    // LAPACK's sign choice: R's diagonal entry is -sign(a_kk)·‖x‖, so no cancellation occurs.
    const alpha = v[k] >= 0 ? -norm : norm;
    v[k] -= alpha;
    let vv = 0;
    for (let i = k; i < m; i++) vv += v[i] * v[i];
    vs.push(v);
    if (vv === 0) continue;
    for (let j = k; j < n; j++) {
      let s = 0;
      for (let i = k; i < m; i++) s += v[i] * r[i * n + j];
      const f = (2 * s) / vv;
      for (let i = k; i < m; i++) r[i * n + j] -= f * v[i];
    }
  }
  // Q = H₀ H₁ … applied to the first n columns of the identity.
  const q = new Float64Array(m * n);
  for (let j = 0; j < n; j++) q[j * n + j] = 1;
  for (let k = n - 1; k >= 0; k--) {
    const v = vs[k];
    let vv = 0;
    for (let i = k; i < m; i++) vv += v[i] * v[i];
    if (vv === 0) continue;
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let i = k; i < m; i++) s += v[i] * q[i * n + j];
      const f = (2 * s) / vv;
      for (let i = k; i < m; i++) q[i * n + j] -= f * v[i];
    }
  }
  const rSquare = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) rSquare[i * n + j] = r[i * n + j];
  return { q, r: rSquare };
}

/**
 * Eigen-decomposition of a symmetric [n, n] matrix (its lower triangle is read) by cyclic Jacobi
 * rotations: eigenvalues ascending, eigenvectors as columns, each with its largest entry positive
 * so the choice of sign is a continuous function of the matrix.
 */
export function symmetricEigen(a: ArrayLike<number>, offset: number, n: number): { values: Float64Array; vectors: Float64Array } {
  const s = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) s[i * n + j] = s[j * n + i] = a[offset + i * n + j];
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0, total = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) { const x = s[i * n + j] ** 2; total += x; if (i !== j) off += x; }
    if (off <= 1e-30 * total || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = s[p * n + q];
        if (apq === 0) continue;
        const theta = (s[q * n + q] - s[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), sn = t * c;
        for (let k = 0; k < n; k++) {
          const skp = s[k * n + p], skq = s[k * n + q];
          s[k * n + p] = c * skp - sn * skq; s[k * n + q] = sn * skp + c * skq;
        }
        for (let k = 0; k < n; k++) {
          const spk = s[p * n + k], sqk = s[q * n + k];
          s[p * n + k] = c * spk - sn * sqk; s[q * n + k] = sn * spk + c * sqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p], vkq = v[k * n + q];
          v[k * n + p] = c * vkp - sn * vkq; v[k * n + q] = sn * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => s[x * n + x] - s[y * n + y]);
  const values = Float64Array.from(order, (k) => s[k * n + k]);
  const vectors = new Float64Array(n * n);
  order.forEach((k, col) => {
    let largest = 0;
    for (let i = 0; i < n; i++) if (Math.abs(v[i * n + k]) > Math.abs(v[largest * n + k])) largest = i;
    const sign = v[largest * n + k] < 0 ? -1 : 1;
    for (let i = 0; i < n; i++) vectors[i * n + col] = sign * v[i * n + k];
  });
  return { values, vectors };
}
