/**
 * Placeholder: this package is filled by its own issue. It exports nothing yet.
 * @packageDocumentation
 */
export {};
