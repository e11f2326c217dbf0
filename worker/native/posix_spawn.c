/*
 * posix_spawn(3) for the worker, with the child's end watched through a pidfd on libuv's loop.
 *
 * Why: libuv (Node 20) starts every child with fork(), which copies the worker's page tables and
 * write-protects its whole heap until the child has exec'd; glibc's posix_spawn uses
 * clone(CLONE_VM | CLONE_VFORK) and copies nothing. On a VM where page faults are dear that is
 * most of a run's start cost (docs/BENCHMARKS.md). The worker falls back to child_process.spawn
 * when this module is missing (worker/cli-spawn.ts).
 *
 * Exports:
 *   socketpair() -> [fd, fd]                          AF_UNIX stream pair, both O_CLOEXEC (what libuv
 *                                                     gives a child for stdio 'pipe')
 *   spawn(path, argv, envp, cwd, fds, setsid, onExit) -> pid
 *       child fd i = fds[i] (every other fd of the worker is O_CLOEXEC), signal mask empty and every
 *       signal at its default (Node ignores SIGPIPE), a new session when setsid. onExit(code, signal)
 *       is called once, from the loop, when the child has ended and been reaped (code -1: not an
 *       exit; signal 0: not a signal). Throws an Error whose `errno` is -errno on failure
 *       (exec failures included: glibc reports them from the vfork'd child).
 *   supported() -> boolean                            pidfd_open works here (Linux 5.3+)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <node_api.h>
#include <uv.h>

#define MAX_FDS 16

typedef struct {
  uv_poll_t poll;
  int pidfd;
  pid_t pid;
  napi_env env;
  napi_ref on_exit;
  napi_async_context context;
} child_t;

/* Throws an Error "<what>: <strerror>" whose `errno` is -err, as Node's own (its name: util.getSystemErrorName). */
static napi_value throw_errno(napi_env env, int err, const char *what) {
  napi_value msg, error, errno_value;
  char text[256];
  snprintf(text, sizeof text, "%s: %s", what, strerror(err));
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, NULL, msg, &error);
  napi_create_int32(env, -err, &errno_value);
  napi_set_named_property(env, error, "errno", errno_value);
  napi_throw(env, error);
  return NULL;
}

static char *string_arg(napi_env env, napi_value v) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
  char *s = malloc(len + 1);
  if (s) napi_get_value_string_utf8(env, v, s, len + 1, &len);
  return s;
}

/* A NULL-terminated copy of a JS string array; NULL if it is not one. */
static char **string_array(napi_env env, napi_value arr) {
  uint32_t n = 0;
  if (napi_get_array_length(env, arr, &n) != napi_ok) return NULL;
  char **out = calloc(n + 1, sizeof(char *));
  if (!out) return NULL;
  for (uint32_t i = 0; i < n; i++) {
    napi_value item;
    napi_get_element(env, arr, i, &item);
    out[i] = string_arg(env, item);
    if (!out[i]) {
      for (uint32_t j = 0; j < i; j++) free(out[j]);
      free(out);
      return NULL;
    }
  }
  return out;
}

static void free_array(char **a) {
  if (!a) return;
  for (char **p = a; *p; p++) free(*p);
  free(a);
}

static void on_closed(uv_handle_t *handle) {
  child_t *c = handle->data;
  close(c->pidfd);
  free(c);
}

static void on_ready(uv_poll_t *poll, int status, int events) {
  child_t *c = poll->data;
  int wstatus = 0;
  pid_t r = waitpid(c->pid, &wstatus, WNOHANG);
  if (r == 0) return; /* not ended yet (a spurious wake) */
  int code = -1, sig = 0;
  if (r == c->pid) {
    if (WIFEXITED(wstatus)) code = WEXITSTATUS(wstatus);
    else if (WIFSIGNALED(wstatus)) sig = WTERMSIG(wstatus);
  }
  uv_poll_stop(poll);
  napi_env env = c->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value fn, recv, argv[2];
  napi_get_reference_value(env, c->on_exit, &fn);
  napi_get_global(env, &recv);
  napi_create_int32(env, code, &argv[0]);
  napi_create_int32(env, sig, &argv[1]);
  napi_make_callback(env, c->context, recv, fn, 2, argv, NULL);
  napi_async_destroy(env, c->context);
  napi_delete_reference(env, c->on_exit);
  napi_close_handle_scope(env, scope);
  uv_close((uv_handle_t *)poll, on_closed);
}

static napi_value js_socketpair(napi_env env, napi_callback_info info) {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) return throw_errno(env, errno, "socketpair");
  napi_value arr, r, w;
  napi_create_array_with_length(env, 2, &arr);
  napi_create_int32(env, fds[0], &r);
  napi_create_int32(env, fds[1], &w);
  napi_set_element(env, arr, 0, r);
  napi_set_element(env, arr, 1, w);
  return arr;
}

static napi_value js_spawn(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value args[7];
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  if (argc < 7) {
    napi_throw_type_error(env, NULL, "spawn(path, argv, envp, cwd, fds, setsid, onExit)");
    return NULL;
  }
  uint32_t nfds = 0;
  napi_get_array_length(env, args[4], &nfds);
  if (nfds > MAX_FDS) {
    napi_throw_range_error(env, NULL, "too many child fds");
    return NULL;
  }
  int fds[MAX_FDS], temp[MAX_FDS];
  for (uint32_t i = 0; i < nfds; i++) {
    napi_value v;
    napi_get_element(env, args[4], i, &v);
    napi_get_value_int32(env, v, &fds[i]);
    temp[i] = -1;
  }
  bool setsid_flag = false;
  napi_get_value_bool(env, args[5], &setsid_flag);

  char *path = string_arg(env, args[0]);
  char **argv = string_array(env, args[1]);
  char **envp = string_array(env, args[2]);
  napi_valuetype cwd_type;
  napi_typeof(env, args[3], &cwd_type);
  char *cwd = cwd_type == napi_string ? string_arg(env, args[3]) : NULL;
  napi_value result = NULL;
  int err = 0;
  const char *what = "posix_spawn";
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  if (!path || !argv || !envp) {
    err = EINVAL;
    what = "spawn arguments";
    goto done;
  }
  /* A source fd below nfds could be overwritten by an earlier dup2: move it out of the way first. */
  for (uint32_t i = 0; i < nfds; i++) {
    if (fds[i] >= 0 && fds[i] < (int)nfds) {
      temp[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, (int)nfds);
      if (temp[i] < 0) {
        err = errno;
        what = "fcntl";
        goto done;
      }
      fds[i] = temp[i];
    }
    if (fds[i] >= 0) posix_spawn_file_actions_adddup2(&actions, fds[i], (int)i);
  }
  if (cwd) posix_spawn_file_actions_addchdir_np(&actions, cwd);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  if (setsid_flag) flags |= POSIX_SPAWN_SETSID;
  posix_spawnattr_setflags(&attr, flags);

  pid_t pid = 0;
  err = posix_spawn(&pid, path, &actions, &attr, argv, envp);
  if (err != 0) goto done;
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (pidfd < 0) {
    /* Cannot watch it: end it rather than leave a child nobody reaps. */
    err = errno;
    what = "pidfd_open";
    kill(setsid_flag ? -pid : pid, SIGKILL);
    waitpid(pid, NULL, 0);
    goto done;
  }
  child_t *c = calloc(1, sizeof(child_t));
  if (!c) {
    err = ENOMEM;
    close(pidfd);
    kill(setsid_flag ? -pid : pid, SIGKILL);
    waitpid(pid, NULL, 0);
    goto done;
  }
  c->pid = pid;
  c->pidfd = pidfd;
  c->env = env;
  c->poll.data = c;
  napi_create_reference(env, args[6], 1, &c->on_exit);
  napi_value resource_name;
  napi_create_string_utf8(env, "posix_spawn", NAPI_AUTO_LENGTH, &resource_name);
  napi_async_init(env, NULL, resource_name, &c->context);
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  int uv_err = uv_poll_init(loop, &c->poll, pidfd);
  bool polling = uv_err == 0;
  if (polling) uv_err = uv_poll_start(&c->poll, UV_READABLE, on_ready);
  if (uv_err != 0) {
    /* Cannot watch it: end it rather than leave a child nobody reaps. */
    err = -uv_err;
    what = "uv_poll";
    kill(setsid_flag ? -pid : pid, SIGKILL);
    waitpid(pid, NULL, 0);
    napi_delete_reference(env, c->on_exit);
    napi_async_destroy(env, c->context);
    if (polling) {
      uv_close((uv_handle_t *)&c->poll, on_closed); /* closes the pidfd and frees c */
    } else {
      close(pidfd);
      free(c);
    }
    goto done;
  }
  napi_create_int32(env, pid, &result);

done:
  for (uint32_t i = 0; i < nfds; i++)
    if (temp[i] >= 0) close(temp[i]);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  free(path);
  free(cwd);
  free_array(argv);
  free_array(envp);
  if (err != 0) return throw_errno(env, err, what);
  return result;
}

/* Whether this kernel has pidfd_open (Linux 5.3+), without which no child could be watched. */
static napi_value js_supported(napi_env env, napi_callback_info info) {
  int fd = (int)syscall(SYS_pidfd_open, getpid(), 0);
  napi_value result;
  napi_get_boolean(env, fd >= 0, &result);
  if (fd >= 0) close(fd);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"supported", NULL, js_supported, NULL, NULL, NULL, napi_default, NULL},
    {"socketpair", NULL, js_socketpair, NULL, NULL, NULL, napi_default, NULL},
    {"spawn", NULL, js_spawn, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, 3, props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
