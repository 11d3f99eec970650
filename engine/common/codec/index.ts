// Re-exports the record and key codecs.
export * from './byte-writer.js';
export * from './byte-reader.js';
export * from './value-codec.js';
export * from './key-codec.js';
