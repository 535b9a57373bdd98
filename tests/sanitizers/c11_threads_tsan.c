/* C11 threads for ThreadSanitizer builds: glibc's thrd_create, mtx_lock, cnd_wait... call
 * pthread internally, where clang 14's TSan runtime (Debian bookworm) does not see them: it has
 * no interceptors for the C11 functions. librdkafka creates its threads with thrd_create, so
 * every process with a Kafka client crashed at its first broker thread (SEGV in the runtime, the
 * thread unknown to it), and its locks would be invisible to the race detector.
 *
 * Linked into every executable of a CRVS_SANITIZE=thread build only (cmake/CrvsTargets.cmake):
 * the definitions here take precedence over libc's for librdkafka.so too, and each is the
 * pthread call glibc makes, now through TSan's interceptors. glibc's mtx_t and cnd_t are
 * unions of pthread_mutex_t and pthread_cond_t's size and alignment, as glibc itself assumes.
 * Only the functions librdkafka imports are here (`nm -D librdkafka.so.1 | grep -E
 * 'thrd_|mtx_|cnd_'`). */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <threads.h>

_Static_assert(sizeof(mtx_t) == sizeof(pthread_mutex_t), "mtx_t is a pthread_mutex_t");
_Static_assert(sizeof(cnd_t) == sizeof(pthread_cond_t), "cnd_t is a pthread_cond_t");
_Static_assert(sizeof(thrd_t) == sizeof(pthread_t), "thrd_t is a pthread_t");

static int Result(int err) {
  switch (err) {
    case 0: return thrd_success;
    case EBUSY: return thrd_busy;
    case ETIMEDOUT: return thrd_timedout;
    case ENOMEM: return thrd_nomem;
    default: return thrd_error;
  }
}

struct Start {
  thrd_start_t func;
  void* arg;
};

static void* Trampoline(void* p) {
  struct Start start = *(struct Start*)p;
  free(p);
  return (void*)(intptr_t)start.func(start.arg);
}

int thrd_create(thrd_t* thr, thrd_start_t func, void* arg) {
  struct Start* start = malloc(sizeof *start);
  if (start == NULL) return thrd_nomem;
  start->func = func;
  start->arg = arg;
  int err = pthread_create((pthread_t*)thr, NULL, Trampoline, start);
  if (err != 0) free(start);
  return Result(err);
}

int thrd_join(thrd_t thr, int* res) {
  void* value = NULL;
  int err = pthread_join((pthread_t)thr, &value);
  if (err == 0 && res != NULL) *res = (int)(intptr_t)value;
  return Result(err);
}

int mtx_init(mtx_t* mtx, int type) {
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  if (type & mtx_recursive) pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
  int err = pthread_mutex_init((pthread_mutex_t*)mtx, &attr);
  pthread_mutexattr_destroy(&attr);
  return Result(err);
}

int mtx_lock(mtx_t* mtx) { return Result(pthread_mutex_lock((pthread_mutex_t*)mtx)); }
int mtx_unlock(mtx_t* mtx) { return Result(pthread_mutex_unlock((pthread_mutex_t*)mtx)); }
void mtx_destroy(mtx_t* mtx) { pthread_mutex_destroy((pthread_mutex_t*)mtx); }

int cnd_init(cnd_t* cond) { return Result(pthread_cond_init((pthread_cond_t*)cond, NULL)); }
int cnd_signal(cnd_t* cond) { return Result(pthread_cond_signal((pthread_cond_t*)cond)); }
int cnd_broadcast(cnd_t* cond) { return Result(pthread_cond_broadcast((pthread_cond_t*)cond)); }
void cnd_destroy(cnd_t* cond) { pthread_cond_destroy((pthread_cond_t*)cond); }

int cnd_wait(cnd_t* cond, mtx_t* mtx) {
  return Result(pthread_cond_wait((pthread_cond_t*)cond, (pthread_mutex_t*)mtx));
}

int cnd_timedwait(cnd_t* restrict cond, mtx_t* restrict mtx,
                  const struct timespec* restrict abstime) {
  return Result(
      pthread_cond_timedwait((pthread_cond_t*)cond, (pthread_mutex_t*)mtx, abstime));
}
