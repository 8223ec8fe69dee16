"""C declarations of the part of libpulse that the PulseAudio backend uses.

ABI mode: the library is opened with ``dlopen`` at first use, so no compiler is needed; the
declarations reach cffi through the module generated from them (see ``_ffi_modules``; run
``scripts/generate_ffi.py`` after editing them). Enums are declared as ``int`` (their ABI type);
the constants the backend needs are in :mod:`scgui.audio.backends._pulse_consts`.
Structures that libpulse allocates are declared only up to the last field read: their
offsets must match ``<pulse/introspect.h>`` of PulseAudio 1.0 and later, which never
reordered them.
"""

from ._ffi_modules import FfiSpec

CDEF = """
typedef struct pa_threaded_mainloop pa_threaded_mainloop;
typedef struct pa_mainloop pa_mainloop;
typedef struct pa_mainloop_api pa_mainloop_api;
typedef struct pa_context pa_context;
typedef struct pa_stream pa_stream;
typedef struct pa_operation pa_operation;
typedef struct pa_proplist pa_proplist;
typedef uint64_t pa_usec_t;
typedef uint32_t pa_volume_t;

struct timeval {
    long tv_sec;
    long tv_usec;
};

typedef struct pa_timing_info {
    struct timeval timestamp;
    int synchronized_clocks;
    pa_usec_t sink_usec;
    pa_usec_t source_usec;
    pa_usec_t transport_usec;
    int playing;
    int write_index_corrupt;
    int64_t write_index;
    int read_index_corrupt;
    int64_t read_index;
    pa_usec_t configured_sink_usec;
    pa_usec_t configured_source_usec;
    int64_t since_underrun;
} pa_timing_info;

typedef struct pa_sample_spec {
    int format;
    uint32_t rate;
    uint8_t channels;
} pa_sample_spec;

typedef struct pa_channel_map {
    uint8_t channels;
    int map[32];
} pa_channel_map;

typedef struct pa_cvolume {
    uint8_t channels;
    pa_volume_t values[32];
} pa_cvolume;

typedef struct pa_buffer_attr {
    uint32_t maxlength;
    uint32_t tlength;
    uint32_t prebuf;
    uint32_t minreq;
    uint32_t fragsize;
} pa_buffer_attr;

typedef struct pa_sink_info {
    const char *name;
    uint32_t index;
    const char *description;
    pa_sample_spec sample_spec;
    pa_channel_map channel_map;
    uint32_t owner_module;
    pa_cvolume volume;
    int mute;
    uint32_t monitor_source;
    const char *monitor_source_name;
    pa_usec_t latency;
    const char *driver;
    int flags;
    pa_proplist *proplist;
    pa_usec_t configured_latency;
    pa_volume_t base_volume;
    int state;
    uint32_t n_volume_steps;
    uint32_t card;
} pa_sink_info;

typedef struct pa_source_info {
    const char *name;
    uint32_t index;
    const char *description;
    pa_sample_spec sample_spec;
    pa_channel_map channel_map;
    uint32_t owner_module;
    pa_cvolume volume;
    int mute;
    uint32_t monitor_of_sink;
    const char *monitor_of_sink_name;
    pa_usec_t latency;
    const char *driver;
    int flags;
    pa_proplist *proplist;
    pa_usec_t configured_latency;
    pa_volume_t base_volume;
    int state;
    uint32_t n_volume_steps;
    uint32_t card;
} pa_source_info;

typedef struct pa_server_info {
    const char *user_name;
    const char *host_name;
    const char *server_version;
    const char *server_name;
    pa_sample_spec sample_spec;
    const char *default_sink_name;
    const char *default_source_name;
    uint32_t cookie;
    pa_channel_map channel_map;
} pa_server_info;

typedef void (*pa_context_notify_cb_t)(pa_context *c, void *userdata);
typedef void (*pa_context_success_cb_t)(pa_context *c, int success, void *userdata);
typedef void (*pa_context_subscribe_cb_t)(pa_context *c, int t, uint32_t idx, void *userdata);
typedef void (*pa_sink_info_cb_t)(pa_context *c, const pa_sink_info *i, int eol, void *userdata);
typedef struct pa_sink_input_info {
    uint32_t index;
    const char *name;
    uint32_t owner_module;
    uint32_t client;
    uint32_t sink;
    pa_sample_spec sample_spec;
    pa_channel_map channel_map;
    pa_cvolume volume;
    pa_usec_t buffer_usec;
    pa_usec_t sink_usec;
    const char *resample_method;
    const char *driver;
    int mute;
    pa_proplist *proplist;
    int corked;
} pa_sink_input_info;

typedef struct pa_source_output_info {
    uint32_t index;
    const char *name;
    uint32_t owner_module;
    uint32_t client;
    uint32_t source;
    pa_sample_spec sample_spec;
    pa_channel_map channel_map;
    pa_usec_t buffer_usec;
    pa_usec_t source_usec;
    const char *resample_method;
    const char *driver;
    pa_proplist *proplist;
    int corked;
    pa_cvolume volume;
    int mute;
} pa_source_output_info;

typedef void (*pa_sink_input_info_cb_t)(pa_context *c, const pa_sink_input_info *i, int eol,
                                        void *userdata);
typedef void (*pa_source_output_info_cb_t)(pa_context *c, const pa_source_output_info *i,
                                           int eol, void *userdata);
typedef void (*pa_source_info_cb_t)(pa_context *c, const pa_source_info *i, int eol,
                                    void *userdata);
typedef void (*pa_server_info_cb_t)(pa_context *c, const pa_server_info *i, void *userdata);
typedef void (*pa_stream_notify_cb_t)(pa_stream *s, void *userdata);
typedef void (*pa_stream_request_cb_t)(pa_stream *s, size_t nbytes, void *userdata);
typedef void (*pa_stream_success_cb_t)(pa_stream *s, int success, void *userdata);
typedef void (*pa_free_cb_t)(void *p);
typedef void (*pa_operation_notify_cb_t)(pa_operation *o, void *userdata);

pa_threaded_mainloop *pa_threaded_mainloop_new(void);
void pa_threaded_mainloop_free(pa_threaded_mainloop *m);
int pa_threaded_mainloop_start(pa_threaded_mainloop *m);
void pa_threaded_mainloop_stop(pa_threaded_mainloop *m);
void pa_threaded_mainloop_lock(pa_threaded_mainloop *m);
void pa_threaded_mainloop_unlock(pa_threaded_mainloop *m);
void pa_threaded_mainloop_wait(pa_threaded_mainloop *m);
void pa_threaded_mainloop_signal(pa_threaded_mainloop *m, int wait_for_accept);
int pa_threaded_mainloop_in_thread(pa_threaded_mainloop *m);
pa_mainloop_api *pa_threaded_mainloop_get_api(pa_threaded_mainloop *m);
pa_mainloop *pa_mainloop_new(void);
void pa_mainloop_free(pa_mainloop *m);
pa_mainloop_api *pa_mainloop_get_api(pa_mainloop *m);
int pa_mainloop_prepare(pa_mainloop *m, int timeout);
int pa_mainloop_poll(pa_mainloop *m);
int pa_mainloop_dispatch(pa_mainloop *m);
void pa_mainloop_wakeup(pa_mainloop *m);

const char *pa_strerror(int error);
const char *pa_get_library_version(void);
const char *pa_channel_position_to_pretty_string(int pos);
const char *pa_channel_position_to_string(int pos);

pa_proplist *pa_proplist_new(void);
void pa_proplist_free(pa_proplist *p);
int pa_proplist_sets(pa_proplist *p, const char *key, const char *value);
const char *pa_proplist_gets(const pa_proplist *p, const char *key);

pa_context *pa_context_new_with_proplist(pa_mainloop_api *api, const char *name,
                                         const pa_proplist *proplist);
void pa_context_unref(pa_context *c);
void pa_context_set_state_callback(pa_context *c, pa_context_notify_cb_t cb, void *userdata);
int pa_context_connect(pa_context *c, const char *server, int flags, const void *api);
int pa_context_is_pending(const pa_context *c);
void pa_context_disconnect(pa_context *c);
int pa_context_get_state(const pa_context *c);
int pa_context_errno(const pa_context *c);
const char *pa_context_get_server(const pa_context *c);
uint32_t pa_context_get_index(const pa_context *c);
pa_operation *pa_context_set_name(pa_context *c, const char *name, pa_context_success_cb_t cb,
                                  void *userdata);
pa_operation *pa_context_get_server_info(pa_context *c, pa_server_info_cb_t cb, void *userdata);
pa_operation *pa_context_get_sink_info_list(pa_context *c, pa_sink_info_cb_t cb, void *userdata);
pa_operation *pa_context_get_sink_info_by_index(pa_context *c, uint32_t idx,
                                                pa_sink_info_cb_t cb, void *userdata);
pa_operation *pa_context_get_sink_info_by_name(pa_context *c, const char *name,
                                               pa_sink_info_cb_t cb, void *userdata);
pa_operation *pa_context_get_source_info_by_name(pa_context *c, const char *name,
                                                 pa_source_info_cb_t cb, void *userdata);
pa_operation *pa_context_get_sink_input_info_list(pa_context *c, pa_sink_input_info_cb_t cb,
                                                  void *userdata);
pa_operation *pa_context_get_source_output_info_list(pa_context *c,
                                                     pa_source_output_info_cb_t cb,
                                                     void *userdata);
pa_operation *pa_context_get_source_info_list(pa_context *c, pa_source_info_cb_t cb,
                                              void *userdata);
pa_operation *pa_context_get_source_info_by_index(pa_context *c, uint32_t idx,
                                                  pa_source_info_cb_t cb, void *userdata);
pa_operation *pa_context_set_default_sink(pa_context *c, const char *name,
                                          pa_context_success_cb_t cb, void *userdata);
pa_operation *pa_context_set_default_source(pa_context *c, const char *name,
                                            pa_context_success_cb_t cb, void *userdata);
pa_operation *pa_context_set_sink_volume_by_name(pa_context *c, const char *name,
                                                 const pa_cvolume *volume,
                                                 pa_context_success_cb_t cb, void *userdata);
pa_operation *pa_context_set_source_volume_by_name(pa_context *c, const char *name,
                                                   const pa_cvolume *volume,
                                                   pa_context_success_cb_t cb, void *userdata);
pa_operation *pa_context_set_sink_mute_by_name(pa_context *c, const char *name, int mute,
                                               pa_context_success_cb_t cb, void *userdata);
pa_operation *pa_context_set_source_mute_by_name(pa_context *c, const char *name, int mute,
                                                 pa_context_success_cb_t cb, void *userdata);
pa_operation *pa_context_move_sink_input_by_name(pa_context *c, uint32_t idx,
                                                 const char *sink_name,
                                                 pa_context_success_cb_t cb, void *userdata);
pa_operation *pa_context_move_source_output_by_name(pa_context *c, uint32_t idx,
                                                    const char *source_name,
                                                    pa_context_success_cb_t cb, void *userdata);
pa_operation *pa_context_set_sink_input_volume(pa_context *c, uint32_t idx,
                                               const pa_cvolume *volume,
                                               pa_context_success_cb_t cb, void *userdata);
pa_operation *pa_context_set_source_output_volume(pa_context *c, uint32_t idx,
                                                  const pa_cvolume *volume,
                                                  pa_context_success_cb_t cb, void *userdata);
pa_operation *pa_context_set_sink_input_mute(pa_context *c, uint32_t idx, int mute,
                                             pa_context_success_cb_t cb, void *userdata);
pa_operation *pa_context_set_source_output_mute(pa_context *c, uint32_t idx, int mute,
                                                pa_context_success_cb_t cb, void *userdata);
double pa_sw_volume_to_dB(pa_volume_t v);
void pa_context_set_subscribe_callback(pa_context *c, pa_context_subscribe_cb_t cb,
                                       void *userdata);
pa_operation *pa_context_subscribe(pa_context *c, int mask, pa_context_success_cb_t cb,
                                   void *userdata);

int pa_operation_get_state(const pa_operation *o);
void pa_operation_unref(pa_operation *o);
void pa_operation_cancel(pa_operation *o);
void pa_operation_set_state_callback(pa_operation *o, pa_operation_notify_cb_t cb,
                                     void *userdata);

pa_stream *pa_stream_new(pa_context *c, const char *name, const pa_sample_spec *ss,
                         const pa_channel_map *map);
void pa_stream_unref(pa_stream *s);
int pa_stream_connect_playback(pa_stream *s, const char *dev, const pa_buffer_attr *attr,
                               int flags, const pa_cvolume *volume, pa_stream *sync_stream);
int pa_stream_connect_record(pa_stream *s, const char *dev, const pa_buffer_attr *attr,
                             int flags);
int pa_stream_disconnect(pa_stream *s);
int pa_stream_get_state(const pa_stream *s);
void pa_stream_set_state_callback(pa_stream *s, pa_stream_notify_cb_t cb, void *userdata);
void pa_stream_set_write_callback(pa_stream *s, pa_stream_request_cb_t cb, void *userdata);
void pa_stream_set_read_callback(pa_stream *s, pa_stream_request_cb_t cb, void *userdata);
void pa_stream_set_underflow_callback(pa_stream *s, pa_stream_notify_cb_t cb, void *userdata);
void pa_stream_set_overflow_callback(pa_stream *s, pa_stream_notify_cb_t cb, void *userdata);
size_t pa_stream_writable_size(const pa_stream *s);
size_t pa_stream_readable_size(const pa_stream *s);
int pa_stream_write(pa_stream *s, const void *data, size_t nbytes, pa_free_cb_t free_cb,
                    int64_t offset, int seek);
int pa_stream_peek(pa_stream *s, const void **data, size_t *nbytes);
int pa_stream_drop(pa_stream *s);
pa_operation *pa_stream_drain(pa_stream *s, pa_stream_success_cb_t cb, void *userdata);
pa_operation *pa_stream_flush(pa_stream *s, pa_stream_success_cb_t cb, void *userdata);
pa_operation *pa_stream_update_timing_info(pa_stream *s, pa_stream_success_cb_t cb,
                                           void *userdata);
int pa_stream_get_latency(pa_stream *s, pa_usec_t *r_usec, int *negative);
const pa_timing_info *pa_stream_get_timing_info(pa_stream *s);
const pa_buffer_attr *pa_stream_get_buffer_attr(pa_stream *s);
"""

FFI_SPEC = FfiSpec("_pulse_ffi", ((CDEF, False),))
