// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// blit ranges: the fill and copy of one byte range by a set of work-items,
// which every blit kernel (blit.c, batch.c) is built from. Inline functions,
// except that a target may compile the two range functions out of line
// (DEVBIN_RANGE below).
//
// A range is moved by work-items `id` of `items` (the whole grid, or one
// workgroup's members). The destination is split into a head (up to the next
// line boundary: DEVBIN_FILL_LINE_BYTES or DEVBIN_COPY_LINE_BYTES), a body of
// 16-byte words starting on that line, and a tail under 16 bytes: body stores
// are then whole, aligned 16-byte stores and a wavefront's stores cover whole
// cache lines. Nothing is stored outside [target, target + length).
#ifndef DEVBIN_DEVICE_BLIT_H_
#define DEVBIN_DEVICE_BLIT_H_

#include "abi.h"
#include "target/target.h"

// Tuning knobs, compile-time so every per-item register stays a register.
// The host tests build this file with other values too (tests/device).
// The line the body starts on: the head before it and the tail after it are
// stored apart. Fill and copy each have their own knob, as the best line
// differs between them (bench/RESULTS.md, "History: persistent grids").
#ifndef DEVBIN_FILL_LINE_BYTES
#define DEVBIN_FILL_LINE_BYTES 128
#endif
#ifndef DEVBIN_COPY_LINE_BYTES
#define DEVBIN_COPY_LINE_BYTES 512
#endif
// DEVBIN_FILL_WORDS_PER_ITEM, DEVBIN_COPY_WORDS_PER_ITEM: in abi.h (the host
// sizes grids from them); copy's applies when source and target are aligned
// to each other.
// Copy with source and target misaligned to each other: every output word
// is a funnel shift of two adjacent aligned source words. How a work-item
// gets the second word without loading it again:
//   SHUFFLE: the wavefront loads consecutive words, coalesced, and each lane
//            takes its neighbour's word by a lane shuffle (the last lane
//            loads one extra word); WORDS_PER_LANE such rows per step.
//   CARRY:   a work-item copies CARRY_WORDS_PER_ITEM consecutive output
//            words from that many + 1 source words it holds in registers.
// SHUFFLE needs whole wavefronts; a launch whose workgroup or grid size is
// not a multiple of the wavefront width takes CARRY.
#define DEVBIN_COPY_SHIFT_SHUFFLE 1
#define DEVBIN_COPY_SHIFT_CARRY 2
#ifndef DEVBIN_COPY_SHIFT_STRATEGY
#define DEVBIN_COPY_SHIFT_STRATEGY DEVBIN_COPY_SHIFT_SHUFFLE
#endif
#ifndef DEVBIN_COPY_SHUFFLE_WORDS_PER_LANE
#define DEVBIN_COPY_SHUFFLE_WORDS_PER_LANE 2
#endif
#ifndef DEVBIN_COPY_CARRY_WORDS_PER_ITEM
#define DEVBIN_COPY_CARRY_WORDS_PER_ITEM 4
#endif
// Code size against the misaligned copy's instruction count (a per-target
// header may pick the small form: target/amdgpu.h does):
//   DEVBIN_COPY_SHIFT_DWORDS_SPECIALISED 1: one body per whole-dword part of
//     the shift (0..3), so the dword part is free; 0: one body, the dword part
//     selected at run time (a few selects per output word).
//   DEVBIN_COPY_UNGUARDED_BLOCKS 1: blocks wholly in range take a body without
//     range checks; 0: every block takes the checked body.
// With both at 1 the body is inlined 16 times (4 dword parts x 2 strategies x
// checked or not); with both at 0, twice.
#ifndef DEVBIN_COPY_SHIFT_DWORDS_SPECIALISED
#define DEVBIN_COPY_SHIFT_DWORDS_SPECIALISED 1
#endif
#ifndef DEVBIN_COPY_UNGUARDED_BLOCKS
#define DEVBIN_COPY_UNGUARDED_BLOCKS 1
#endif

_Static_assert((DEVBIN_FILL_LINE_BYTES & (DEVBIN_FILL_LINE_BYTES - 1)) == 0 && DEVBIN_FILL_LINE_BYTES >= 16,
               "DEVBIN_FILL_LINE_BYTES: a power of two, at least 16");
_Static_assert((DEVBIN_COPY_LINE_BYTES & (DEVBIN_COPY_LINE_BYTES - 1)) == 0 && DEVBIN_COPY_LINE_BYTES >= 16,
               "DEVBIN_COPY_LINE_BYTES: a power of two, at least 16");
_Static_assert(DEVBIN_FILL_WORDS_PER_ITEM >= 1 && DEVBIN_COPY_WORDS_PER_ITEM >= 1 &&
                   DEVBIN_COPY_SHUFFLE_WORDS_PER_LANE >= 1 && DEVBIN_COPY_CARRY_WORDS_PER_ITEM >= 1,
               "words per item: at least 1");
_Static_assert(DEVBIN_COPY_SHIFT_STRATEGY == DEVBIN_COPY_SHIFT_SHUFFLE ||
                   DEVBIN_COPY_SHIFT_STRATEGY == DEVBIN_COPY_SHIFT_CARRY,
               "DEVBIN_COPY_SHIFT_STRATEGY: DEVBIN_COPY_SHIFT_SHUFFLE or DEVBIN_COPY_SHIFT_CARRY");
_Static_assert((DEVBIN_COPY_SHIFT_DWORDS_SPECIALISED == 0 || DEVBIN_COPY_SHIFT_DWORDS_SPECIALISED == 1) &&
                   (DEVBIN_COPY_UNGUARDED_BLOCKS == 0 || DEVBIN_COPY_UNGUARDED_BLOCKS == 1),
               "DEVBIN_COPY_SHIFT_DWORDS_SPECIALISED, DEVBIN_COPY_UNGUARDED_BLOCKS: 0 or 1");

// How devbin_fill_range and devbin_copy_range are compiled: inlined into
// every kernel (the default), or once, out of line, for every kernel of the
// translation unit to call (target/amdgpu.h: the code objects are built as
// one unit, see build_tools/device_flags.json).
#ifndef DEVBIN_RANGE
#define DEVBIN_RANGE DEVBIN_INLINE
#endif

typedef DEVBIN_GLOBAL devbin_u8 devbin_global_u8;
typedef DEVBIN_GLOBAL devbin_u32x4 devbin_global_u32x4;

static const devbin_u32x4 devbin_zero_word = {0, 0, 0, 0};

// Bytes before the first `line`-byte boundary at or after `address`, at most `length`.
DEVBIN_INLINE uint64_t devbin_head_bytes(uint64_t address, uint64_t length, const uint64_t line) {
  const uint64_t to_line = (0 - address) & (line - 1);
  return to_line < length ? to_line : length;
}

//===----------------------------------------------------------------------===//
// fill
//===----------------------------------------------------------------------===//

// The 16-byte pattern from its first `width` bytes, so a pattern the host did
// not replicate still fills right.
DEVBIN_INLINE devbin_u32x4 devbin_fill_pattern(const uint32_t pattern[4], uint32_t width) {
  uint32_t low = pattern[0];
  if (width == 1) low = (low & 0xffu) * 0x01010101u;
  if (width == 2) low = (low & 0xffffu) * 0x00010001u;
  devbin_u32x4 word = {low, low, low, low};
  if (width >= 8) {
    word[1] = pattern[1];
    word[3] = pattern[1];
  }
  if (width == 16) {
    word[2] = pattern[2];
    word[3] = pattern[3];
  }
  return word;
}

// One pattern element at `at` (aligned to `width`). Every element holds the
// pattern's first `width` bytes because targets are multiples of the width.
DEVBIN_INLINE void devbin_fill_element(devbin_global_u8* at, uint32_t width, devbin_u32x4 pattern) {
  switch (width) {
    case 1:
      *at = (uint8_t)pattern[0];
      break;
    case 2:
      *(DEVBIN_GLOBAL devbin_u16*)at = (uint16_t)pattern[0];
      break;
    case 4:
      *(DEVBIN_GLOBAL devbin_u32*)at = pattern[0];
      break;
    case 8:
      *(DEVBIN_GLOBAL devbin_u64*)at = pattern[0] | (uint64_t)pattern[1] << 32;
      break;
    default:
      *(devbin_global_u32x4*)at = pattern;
      break;
  }
}

DEVBIN_INLINE void devbin_fill_elements(devbin_global_u8* start, uint64_t bytes, uint32_t width,
                                        devbin_u32x4 pattern, uint64_t id, uint64_t items) {
  for (uint64_t offset = id * width; offset < bytes; offset += items * width) {
    devbin_fill_element(start + offset, width, pattern);
  }
}

// Work-items in this workgroup: the workgroup size, but fewer in a last
// workgroup of an AMDGPU grid that is not a multiple of it.
DEVBIN_INLINE uint32_t devbin_workgroup_members(void) {
  const uint32_t group_size = devbin_workgroup_size();
  const uint64_t group_start = (uint64_t)devbin_workgroup_id() * group_size;
  const uint64_t items = devbin_grid_size();
  return items - group_start < group_size ? (uint32_t)(items - group_start) : group_size;
}

// The host validates these; a bad launch stores nothing rather than
// misaligned or out-of-range bytes.
// Every valid width is a power of two, so a multiple of it is a mask test
// (a 64-bit `%` by a run-time width is a long division on AMDGPU).
DEVBIN_INLINE bool devbin_fill_is_valid(uint64_t target, uint64_t length, uint32_t width) {
  if (width != 1 && width != 2 && width != 4 && width != 8 && width != 16) return false;
  return ((target | length) & (width - 1)) == 0;
}

// The body in chunks of DEVBIN_FILL_WORDS_PER_ITEM * workgroup-size
// consecutive words, a workgroup to a chunk (chunk-stride over the
// workgroups of the grid): each work-item stores the chunk's words strided by
// the workgroup size, so a wavefront's stores are consecutive and a workgroup
// writes one contiguous range. A last workgroup with fewer work-items still
// stores its whole chunk.
DEVBIN_INLINE void devbin_fill_body_chunks(devbin_global_u32x4* body, uint64_t words, devbin_u32x4 pattern) {
  const uint32_t group_size = devbin_workgroup_size();
  const uint64_t group = devbin_workgroup_id();
  const uint64_t groups = devbin_workgroup_count();
  const uint32_t members = devbin_workgroup_members();
  const uint32_t member = devbin_workitem_id();
  const uint64_t chunk_words = (uint64_t)group_size * DEVBIN_FILL_WORDS_PER_ITEM;
  for (uint64_t first = group * chunk_words; first < words; first += groups * chunk_words) {
    if (members == group_size && words - first >= chunk_words) {
      DEVBIN_UNROLL
      for (uint32_t k = 0; k < DEVBIN_FILL_WORDS_PER_ITEM; ++k) body[first + member + (uint64_t)k * group_size] = pattern;
    } else {
      const uint64_t end = words - first < chunk_words ? words : first + chunk_words;
      for (uint64_t word = first + member; word < end; word += members) body[word] = pattern;
    }
  }
}

// Fills [address, address + length) (valid for `width`): head and tail
// elements by work-items `id` of `items`; the body by the whole grid in
// chunks (devbin_fill_body_chunks) when `grid_chunks`, else strided by `id`
// of `items`. Line and word boundaries are multiples of every width, so
// head, body and tail each hold whole elements and the body's words all
// equal `pattern`.
DEVBIN_RANGE void devbin_fill_range(uint64_t address, uint64_t length, uint32_t width, devbin_u32x4 pattern,
                                    uint64_t id, uint64_t items, const bool grid_chunks) {
  devbin_global_u8* const target = (devbin_global_u8*)(uintptr_t)address;
  const uint64_t head = devbin_head_bytes(address, length, DEVBIN_FILL_LINE_BYTES);
  devbin_fill_elements(target, head, width, pattern, id, items);

  const uint64_t words = (length - head) / 16;
  devbin_global_u32x4* const body = (devbin_global_u32x4*)(target + head);
  if (grid_chunks) {
    devbin_fill_body_chunks(body, words, pattern);
  } else {
    for (uint64_t word = id; word < words; word += items) body[word] = pattern;
  }

  const uint64_t tail_start = head + words * 16;
  devbin_fill_elements(target + tail_start, length - tail_start, width, pattern, id, items);
}


//===----------------------------------------------------------------------===//
// copy
//===----------------------------------------------------------------------===//

DEVBIN_INLINE void devbin_copy_bytes(devbin_global_u8* restrict target, const devbin_global_u8* restrict source,
                                     uint64_t bytes, uint64_t id, uint64_t items) {
  for (uint64_t offset = id; offset < bytes; offset += items) target[offset] = source[offset];
}

// Source and target both 16-byte aligned.
DEVBIN_INLINE void devbin_copy_words_aligned(devbin_global_u32x4* restrict target,
                                             const devbin_global_u32x4* restrict source, uint64_t words,
                                             uint64_t id, uint64_t items) {
  for (uint64_t first = id; first < words; first += items * DEVBIN_COPY_WORDS_PER_ITEM) {
    devbin_u32x4 held[DEVBIN_COPY_WORDS_PER_ITEM];
    DEVBIN_UNROLL
    for (uint32_t k = 0; k < DEVBIN_COPY_WORDS_PER_ITEM; ++k) {
      const uint64_t word = first + k * items;
      held[k] = word < words ? source[word] : devbin_zero_word;
    }
    DEVBIN_UNROLL
    for (uint32_t k = 0; k < DEVBIN_COPY_WORDS_PER_ITEM; ++k) {
      const uint64_t word = first + k * items;
      if (word < words) target[word] = held[k];
    }
  }
}

// Bytes 4 * dwords + bits / 8 .. +15 of the 32 bytes lo:hi (little-endian).
// Specialised, `dwords` is a constant wherever this is inlined (the callers
// switch on it), so the indexing below resolves to registers; otherwise the
// five dwords needed are picked by two rounds of selects (by 2, then by 1).
DEVBIN_INLINE devbin_u32x4 devbin_shift_words(devbin_u32x4 lo, devbin_u32x4 hi, const uint32_t dwords,
                                              uint32_t bits) {
  devbin_u32x4 out;
#if DEVBIN_COPY_SHIFT_DWORDS_SPECIALISED
  const uint32_t both[8] = {lo[0], lo[1], lo[2], lo[3], hi[0], hi[1], hi[2], hi[3]};
  out[0] = devbin_funnel_shift_right(both[dwords + 0], both[dwords + 1], bits);
  out[1] = devbin_funnel_shift_right(both[dwords + 1], both[dwords + 2], bits);
  out[2] = devbin_funnel_shift_right(both[dwords + 2], both[dwords + 3], bits);
  out[3] = devbin_funnel_shift_right(both[dwords + 3], both[dwords + 4], bits);
#else
  const bool by_two = (dwords & 2) != 0;
  const bool by_one = (dwords & 1) != 0;
  const uint32_t half[6] = {by_two ? lo[2] : lo[0], by_two ? lo[3] : lo[1], by_two ? hi[0] : lo[2],
                            by_two ? hi[1] : lo[3], by_two ? hi[2] : hi[0], by_two ? hi[3] : hi[1]};
  const uint32_t from[5] = {by_one ? half[1] : half[0], by_one ? half[2] : half[1], by_one ? half[3] : half[2],
                            by_one ? half[4] : half[3], by_one ? half[5] : half[4]};
  out[0] = devbin_funnel_shift_right(from[0], from[1], bits);
  out[1] = devbin_funnel_shift_right(from[1], from[2], bits);
  out[2] = devbin_funnel_shift_right(from[2], from[3], bits);
  out[3] = devbin_funnel_shift_right(from[3], from[4], bits);
#endif
  return out;
}

// The misaligned body: output word j (j < words) is devbin_shift_words of
// aligned source words j and j + 1, so source words 0..words are read (each
// holds at least one source byte, so no read leaves the source's pages).

// One row block of the SHUFFLE strategy: rows of `lanes` consecutive output
// words, WORDS_PER_LANE of them from `first`. `guarded` is false when the
// whole block and the extra word are in range.
DEVBIN_INLINE void devbin_copy_shifted_shuffle_block(devbin_global_u32x4* restrict target,
                                                     const devbin_global_u32x4* restrict source,
                                                     uint64_t words, uint64_t first, uint32_t lanes,
                                                     uint32_t lane, const uint32_t dwords, uint32_t bits,
                                                     const bool guarded) {
  enum { kRows = DEVBIN_COPY_SHUFFLE_WORDS_PER_LANE };
  const bool last_lane = lane + 1 == lanes;
  const uint32_t next_lane = last_lane ? 0 : lane + 1;

  devbin_u32x4 own[kRows];
  DEVBIN_UNROLL
  for (uint32_t row = 0; row < kRows; ++row) {
    const uint64_t word = first + (uint64_t)row * lanes + lane;
    own[row] = !guarded || word <= words ? source[word] : devbin_zero_word;
  }
  // The last lane's neighbour in the last row is the first word of the next
  // block: the one word loaded twice per block.
  devbin_u32x4 extra = devbin_zero_word;
  const uint64_t extra_word = first + (uint64_t)kRows * lanes;
  if (last_lane && (!guarded || extra_word <= words)) extra = source[extra_word];

  // Rotate each row by one lane. Only the neighbour's dwords 0..dwords reach
  // the output, so only those travel (all four when `dwords` is not a constant).
  enum { kMaxDword = DEVBIN_COPY_SHIFT_DWORDS_SPECIALISED ? 0 : 3 };
  const uint32_t last_dword = dwords > kMaxDword ? dwords : kMaxDword;
  devbin_u32x4 rotated[kRows];
  DEVBIN_UNROLL
  for (uint32_t row = 0; row < kRows; ++row) {
    devbin_u32x4 word = devbin_zero_word;
    DEVBIN_UNROLL
    for (uint32_t k = 0; k <= last_dword; ++k) word[k] = devbin_shuffle_u32(own[row][k], next_lane);
    rotated[row] = word;
  }

  DEVBIN_UNROLL
  for (uint32_t row = 0; row < kRows; ++row) {
    // Lane lanes-1 got lane 0's word of its own row; its neighbour is lane
    // 0's word of the next row.
    devbin_u32x4 neighbour = rotated[row];
    if (last_lane) neighbour = row + 1 < kRows ? rotated[row + 1] : extra;
    const uint64_t word = first + (uint64_t)row * lanes + lane;
    if (!guarded || word < words) target[word] = devbin_shift_words(own[row], neighbour, dwords, bits);
  }
}

// Wavefronts take blocks of lanes * WORDS_PER_LANE output words grid-stride.
// The loop bounds are the same for every lane of a wavefront, so all of them
// reach every shuffle together.
DEVBIN_INLINE void devbin_copy_shifted_shuffle(devbin_global_u32x4* restrict target,
                                               const devbin_global_u32x4* restrict source, uint64_t words,
                                               const uint32_t dwords, uint32_t bits, uint64_t id, uint64_t items) {
  const uint32_t lanes = devbin_lane_count();
  const uint32_t lane = devbin_lane_id();
  const uint64_t block_words = (uint64_t)lanes * DEVBIN_COPY_SHUFFLE_WORDS_PER_LANE;
  const uint64_t stride = (items / lanes) * block_words;
  for (uint64_t first = (id / lanes) * block_words; first < words; first += stride) {
    if (DEVBIN_COPY_UNGUARDED_BLOCKS && first + block_words <= words) {
      devbin_copy_shifted_shuffle_block(target, source, words, first, lanes, lane, dwords, bits, false);
    } else {
      devbin_copy_shifted_shuffle_block(target, source, words, first, lanes, lane, dwords, bits, true);
    }
  }
}

// One run of the CARRY strategy: output words first..first+kRun-1 from the
// kRun + 1 source words after `first`.
DEVBIN_INLINE void devbin_copy_shifted_carry_run(devbin_global_u32x4* restrict target,
                                                 const devbin_global_u32x4* restrict source, uint64_t words,
                                                 uint64_t first, const uint32_t dwords, uint32_t bits,
                                                 const bool guarded) {
  enum { kRun = DEVBIN_COPY_CARRY_WORDS_PER_ITEM };
  devbin_u32x4 held[kRun + 1];
  DEVBIN_UNROLL
  for (uint32_t k = 0; k <= kRun; ++k) {
    held[k] = !guarded || first + k <= words ? source[first + k] : devbin_zero_word;
  }
  DEVBIN_UNROLL
  for (uint32_t k = 0; k < kRun; ++k) {
    if (!guarded || first + k < words) target[first + k] = devbin_shift_words(held[k], held[k + 1], dwords, bits);
  }
}

DEVBIN_INLINE void devbin_copy_shifted_carry(devbin_global_u32x4* restrict target,
                                             const devbin_global_u32x4* restrict source, uint64_t words,
                                             const uint32_t dwords, uint32_t bits, uint64_t id, uint64_t items) {
  enum { kRun = DEVBIN_COPY_CARRY_WORDS_PER_ITEM };
  for (uint64_t first = id * kRun; first < words; first += items * kRun) {
    if (DEVBIN_COPY_UNGUARDED_BLOCKS && first + kRun <= words) {
      devbin_copy_shifted_carry_run(target, source, words, first, dwords, bits, false);
    } else {
      devbin_copy_shifted_carry_run(target, source, words, first, dwords, bits, true);
    }
  }
}

DEVBIN_INLINE void devbin_copy_shifted_by(devbin_global_u32x4* restrict target,
                                          const devbin_global_u32x4* restrict source, uint64_t words,
                                          const uint32_t dwords, uint32_t bits, uint64_t id, uint64_t items) {
  const uint32_t lanes = devbin_lane_count();
  // Uniform over the launch, so no wavefront diverges on it.
  const bool whole_wavefronts = items % lanes == 0 && devbin_workgroup_size() % lanes == 0;
  if (DEVBIN_COPY_SHIFT_STRATEGY == DEVBIN_COPY_SHIFT_SHUFFLE && whole_wavefronts) {
    devbin_copy_shifted_shuffle(target, source, words, dwords, bits, id, items);
  } else {
    devbin_copy_shifted_carry(target, source, words, dwords, bits, id, items);
  }
}

// `source` is the aligned word holding the first source byte, `shift` (1..15)
// that byte's offset in it. One specialisation per whole-dword part of the
// shift (unless DEVBIN_COPY_SHIFT_DWORDS_SPECIALISED is 0); the byte part is a
// run-time funnel-shift amount.
DEVBIN_INLINE void devbin_copy_shifted(devbin_global_u32x4* restrict target, const devbin_global_u32x4* restrict source,
                                uint64_t words, uint32_t shift, uint64_t id, uint64_t items) {
  const uint32_t bits = (shift & 3) * 8;
  if (!DEVBIN_COPY_SHIFT_DWORDS_SPECIALISED) {
    devbin_copy_shifted_by(target, source, words, shift >> 2, bits, id, items);
    return;
  }
  switch (shift >> 2) {
    case 0:
      devbin_copy_shifted_by(target, source, words, 0, bits, id, items);
      break;
    case 1:
      devbin_copy_shifted_by(target, source, words, 1, bits, id, items);
      break;
    case 2:
      devbin_copy_shifted_by(target, source, words, 2, bits, id, items);
      break;
    default:
      devbin_copy_shifted_by(target, source, words, 3, bits, id, items);
      break;
  }
}

// Copies [source, source + length) to [target, target + length) by
// work-items `id` of `items`. The body starts on a `line`-byte boundary of
// the target (a power of two, at least 16: DEVBIN_COPY_LINE_BYTES for
// devbin_copy and devbin_batch); the head before it is copied byte by byte.
DEVBIN_RANGE void devbin_copy_range(uint64_t target_address, uint64_t source_address, uint64_t length, uint64_t id,
                                    uint64_t items, uint64_t line) {
  devbin_global_u8* const target = (devbin_global_u8*)(uintptr_t)target_address;
  const devbin_global_u8* const source = (const devbin_global_u8*)(uintptr_t)source_address;

  const uint64_t head = devbin_head_bytes(target_address, length, line);
  devbin_copy_bytes(target, source, head, id, items);

  uint64_t words = (length - head) / 16;
  // Misaligned, the body reads aligned source words 0..words; the last one
  // ends 16 - shift bytes after the last byte it contributes. When the source
  // ends before that word does, leave one word to the byte tail (then up to
  // 31 bytes) so no load crosses the end of the source buffer.
  const uint32_t source_shift = (uint32_t)((source_address + head) & 15);
  if (words != 0 && source_shift != 0 && length - head - words * 16 < 16 - source_shift) --words;
  if (words != 0) {
    devbin_global_u32x4* const body = (devbin_global_u32x4*)(target + head);
    const uint64_t body_source = source_address + head;
    const uint32_t shift = (uint32_t)(body_source & 15);
    const devbin_global_u32x4* const source_words = (const devbin_global_u32x4*)(uintptr_t)(body_source - shift);
    if (shift == 0) {
      devbin_copy_words_aligned(body, source_words, words, id, items);
    } else {
      devbin_copy_shifted(body, source_words, words, shift, id, items);
    }
  }

  const uint64_t tail_start = head + words * 16;
  devbin_copy_bytes(target + tail_start, source + tail_start, length - tail_start, id, items);
}

#endif  // DEVBIN_DEVICE_BLIT_H_
