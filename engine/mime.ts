// Kept while the display contract moves to display/contract.ts; import from there.
export * from "../display/contract";
