/** Error classes named as TensorFlow (and Python) name them, so a ported notebook's expectations hold. */

/** TF's error for an argument a computation cannot accept (a singular matrix, a bad shape at run time). */
export class InvalidArgumentError extends Error {
  override name = "InvalidArgumentError";
}

/** Python's LookupError, which TF raises when a gradient reaches an op that has no gradient rule. */
export class LookupError extends Error {
  override name = "LookupError";
}

/** tf.errors */
export const errors = { InvalidArgumentError, LookupError };
