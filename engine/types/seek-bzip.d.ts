// Types for seek-bzip (pure-JS bzip2 decoder), which ships none: only what kiln calls.
declare module 'seek-bzip' {
  /** seek-bzip's default export. */
  const Bunzip: {
    /** Decodes a whole bzip2 file (every stream in it) into a new buffer. */
    decode(input: Uint8Array, output?: Buffer, multistream?: boolean): Buffer;
  };
  export default Bunzip;
}
