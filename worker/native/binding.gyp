{
  "targets": [
    {
      "target_name": "posix_spawn",
      "sources": ["posix_spawn.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
