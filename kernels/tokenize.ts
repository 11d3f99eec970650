// Tokenizer: splits bytes into words on ASCII whitespace (or, with FLAG_NONALNUM, on
// every ASCII byte that is not alphanumeric). Bytes >= 0x80 are word bytes.
// ABI (owned by engine/kernels/tokenizer.ts):
//   lowercaseAscii(src, len, dst) -> status: dst may equal src.
//   tokenize(src, len, flags, out, cap, ctl) -> status
//     out: u32 pairs (start, end) relative to src.
//     ctl: u32[2] = [tokens written, bytes consumed].
//     Without FLAG_FINAL a token touching the end of the range is not emitted (it may
//     continue in the next chunk); consumed stops at its start.
//     FLAG_LOWERCASE lowercases the range in place first.
//   tokenizeHash(src, len, flags, out, hashes, cap, ctl) -> status: as tokenize, and
//     writes the XXH64 (seed 0) of each token to hashes (u64[cap]).
import { STATUS_OK } from "./status";

export function lowercaseAscii(src: usize, len: u32, dst: usize): i32 {
  return STATUS_OK;
}

export function tokenize(src: usize, len: u32, flags: u32, out: usize, cap: u32, ctl: usize): i32 {
  store<u32>(ctl, 0);
  store<u32>(ctl, 0, 4);
  return STATUS_OK;
}

export function tokenizeHash(src: usize, len: u32, flags: u32, out: usize, hashes: usize, cap: u32, ctl: usize): i32 {
  store<u32>(ctl, 0);
  store<u32>(ctl, 0, 4);
  return STATUS_OK;
}
