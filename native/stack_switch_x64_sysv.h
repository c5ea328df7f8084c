// stack_switch_x64_sysv.h: the x86-64 System V (Linux) stack switch, in assembly (engine: no JS).
// Included once, by fast_stack.cc through stack_switch.h.
#pragma once

#include <cstdint>

// Callee-saved per the ABI: rbx, rbp, r12-r15, and the control bits of MXCSR and
// the x87 control word. Everything else is caller-saved, so the C++ caller has
// already spilled what it needs. The saved frame, from the stored stack pointer up:
//   +0 mxcsr (4 bytes) and x87 control word (2 bytes), +8 r15, +16 r14, +24 r13,
//   +32 r12, +40 rbx, +48 rbp, +56 return address.
__asm__(
    ".text\n"
    ".p2align 4\n"
    ".globl greenstack_stack_switch\n"
    ".hidden greenstack_stack_switch\n"
    ".type greenstack_stack_switch,@function\n"
    "greenstack_stack_switch:\n"
    "  .cfi_startproc\n"
    "  pushq %rbp\n"
    "  pushq %rbx\n"
    "  pushq %r12\n"
    "  pushq %r13\n"
    "  pushq %r14\n"
    "  pushq %r15\n"
    "  subq $8, %rsp\n"
    "  stmxcsr (%rsp)\n"
    "  fnstcw 4(%rsp)\n"
    "  movq %rsp, (%rdi)\n"
    "  movq %rsi, %rsp\n"
    "  ldmxcsr (%rsp)\n"
    "  fldcw 4(%rsp)\n"
    "  addq $8, %rsp\n"
    "  popq %r15\n"
    "  popq %r14\n"
    "  popq %r13\n"
    "  popq %r12\n"
    "  popq %rbx\n"
    "  popq %rbp\n"
    "  ret\n"
    "  .cfi_endproc\n"
    ".size greenstack_stack_switch, .-greenstack_stack_switch\n"
    // First frame of a fresh stack: r12 = arg, r13 = entry. rbp = 0 and an
    // undefined return address end frame-pointer walks and unwinders here.
    ".p2align 4\n"
    ".type greenstack_stack_start,@function\n"
    "greenstack_stack_start:\n"
    "  .cfi_startproc\n"
    "  .cfi_undefined rip\n"
    "  xorl %ebp, %ebp\n"
    "  movq %r12, %rdi\n"
    "  andq $-16, %rsp\n"
    "  callq *%r13\n"
    "  ud2\n"
    "  .cfi_endproc\n"
    ".size greenstack_stack_start, .-greenstack_stack_start\n");

extern "C" void greenstack_stack_start();
extern "C" void greenstack_stack_switch(void** save_sp, void* load_sp);

namespace greenstack {
namespace stack_switch {

inline void Switch(void** save_sp, void* load_sp) { greenstack_stack_switch(save_sp, load_sp); }

inline void* Prepare(uintptr_t low, uintptr_t high, void (*entry)(void*), void* arg) {
  (void)low;
  uintptr_t top = high & ~static_cast<uintptr_t>(15);
  auto* sp = reinterpret_cast<uint64_t*>(top - 72);
  uint32_t mxcsr = 0;
  uint16_t fpucw = 0;
  __asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
  __asm__ volatile("fnstcw %0" : "=m"(fpucw));
  sp[0] = static_cast<uint64_t>(mxcsr) | (static_cast<uint64_t>(fpucw) << 32);
  sp[1] = 0;                                        // r15
  sp[2] = 0;                                        // r14
  sp[3] = reinterpret_cast<uint64_t>(entry);        // r13
  sp[4] = reinterpret_cast<uint64_t>(arg);          // r12
  sp[5] = 0;                                        // rbx
  sp[6] = 0;                                        // rbp
  sp[7] = reinterpret_cast<uint64_t>(&greenstack_stack_start);
  sp[8] = 0;
  return sp;
}

}  // namespace stack_switch
}  // namespace greenstack
