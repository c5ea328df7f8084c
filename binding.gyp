{
  "targets": [
    {
      "target_name": "greenstack",
      "sources": ["native/binding.cc", "native/affinity.cc", "native/carrier.cc", "native/thread_budget.cc", "native/fast_backend.cc", "native/fast_stack.cc", "native/fork_stacks.cc", "native/tls_image.cc", "native/monitor.cc", "native/monitor_v8.cc"],
      "cflags_cc": ["-std=c++20", "-fno-exceptions", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-cast-function-type"],
      "cflags_cc!": ["-std=gnu++17", "-std=gnu++1y", "-fno-rtti"],
      "defines": ["NODE_WANT_INTERNALS=0"],
      "conditions": [
        ["OS=='linux'", {"libraries": ["-lpthread"]}]
      ]
    }
  ]
}
