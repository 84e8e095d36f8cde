/*
 * rtcpipe's C API over libvpx (VP8 + VP9), compiled to WebAssembly by scripts/build-codecs.mjs.
 *
 * Memory rule: every buffer the host writes or reads (raw I420 in, compressed bytes out,
 * compressed bytes in, decoded planes out) lives in a region this wrapper owns and hands out
 * as a pointer, so the host copies only the data itself, once. Pointers stay valid until the
 * next call on the same object that may reallocate (documented per function); the host must
 * re-derive its views over linear memory after any call, because memory may grow.
 *
 * Errors: functions return a negative value (or 0 for constructors) and the message is kept
 * in rp_vpx_last_error().
 */
#include <emscripten.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpx/vp8cx.h"
#include "vpx/vp8dx.h"
#include "vpx/vpx_decoder.h"
#include "vpx/vpx_encoder.h"

#define RP_EXPORT EMSCRIPTEN_KEEPALIVE

enum { RP_VP8 = 0, RP_VP9 = 1 };
/*
 * RP_FLAG_NON_REFERENCE: the frame updates no reference buffer and no entropy context, so a
 * decoder may skip it (an upper temporal layer frame, RFC 7741 4.2 N bit). libvpx takes the
 * VP8_EFLAG_NO_UPD_* flags for VP8 and VP9 alike.
 */
enum { RP_FLAG_FORCE_KEYFRAME = 1, RP_FLAG_NON_REFERENCE = 2 };
enum { RP_OUT_KEYFRAME = 1, RP_OUT_DROPPED = 2 };

static char last_error[256];

static void set_error(const char *what, vpx_codec_ctx_t *ctx, vpx_codec_err_t err) {
  const char *detail = ctx ? vpx_codec_error_detail(ctx) : NULL;
  snprintf(last_error, sizeof last_error, "%s: %s%s%s", what, vpx_codec_err_to_string(err),
           detail ? " - " : "", detail ? detail : "");
}

RP_EXPORT const char *rp_vpx_last_error(void) { return last_error; }

/* ------------------------------------------------------------------------------------------ */
/* Encoder */

typedef struct {
  int codec;
  int width, height;
  int speed;
  int error_resilient;
  int initialized;
  vpx_codec_ctx_t ctx;
  vpx_codec_enc_cfg_t cfg;
  uint8_t *in_buf; /* tightly packed I420, width x height */
  size_t in_cap;
  uint8_t *out_buf; /* compressed packets of the last encode, concatenated */
  size_t out_cap, out_len;
  int out_flags;
} rp_enc;

static vpx_codec_iface_t *enc_iface(int codec) {
  return codec == RP_VP9 ? vpx_codec_vp9_cx() : vpx_codec_vp8_cx();
}

static size_t i420_bytes(int w, int h) {
  size_t cw = (size_t)(w + 1) / 2, ch = (size_t)(h + 1) / 2;
  return (size_t)w * (size_t)h + 2 * cw * ch;
}

static int ensure_in(rp_enc *e) {
  size_t need = i420_bytes(e->width, e->height);
  if (need <= e->in_cap) return 0;
  uint8_t *p = realloc(e->in_buf, need);
  if (!p) {
    snprintf(last_error, sizeof last_error, "out of memory for a %dx%d input frame", e->width, e->height);
    return -1;
  }
  e->in_buf = p;
  e->in_cap = need;
  return 0;
}

/* Realtime controls, applied after every (re)initialization. */
static int apply_controls(rp_enc *e) {
  vpx_codec_err_t err;
  if (e->codec == RP_VP8) {
    /* Negative cpu_used: fixed speed (positive values are a CPU-budget mode that drifts). */
    err = vpx_codec_control(&e->ctx, VP8E_SET_CPUUSED, -e->speed);
    if (!err) err = vpx_codec_control(&e->ctx, VP8E_SET_NOISE_SENSITIVITY, 0);
    if (!err) err = vpx_codec_control(&e->ctx, VP8E_SET_STATIC_THRESHOLD, 1);
    if (!err) err = vpx_codec_control(&e->ctx, VP8E_SET_TOKEN_PARTITIONS, VP8_ONE_TOKENPARTITION);
    if (!err) err = vpx_codec_control(&e->ctx, VP8E_SET_MAX_INTRA_BITRATE_PCT, 450);
    if (!err) err = vpx_codec_control(&e->ctx, VP8E_SET_SCREEN_CONTENT_MODE, 0);
  } else {
    err = vpx_codec_control(&e->ctx, VP8E_SET_CPUUSED, e->speed);
    if (!err) err = vpx_codec_control(&e->ctx, VP9E_SET_AQ_MODE, 3); /* cyclic refresh */
    if (!err) err = vpx_codec_control(&e->ctx, VP9E_SET_ROW_MT, 0);
    if (!err) err = vpx_codec_control(&e->ctx, VP9E_SET_TILE_COLUMNS, 0);
    if (!err) err = vpx_codec_control(&e->ctx, VP9E_SET_FRAME_PARALLEL_DECODING, 0);
    if (!err) err = vpx_codec_control(&e->ctx, VP9E_SET_NOISE_SENSITIVITY, 0);
    if (!err) err = vpx_codec_control(&e->ctx, VP8E_SET_STATIC_THRESHOLD, 1);
    if (!err) err = vpx_codec_control(&e->ctx, VP8E_SET_MAX_INTRA_BITRATE_PCT, 450);
    if (!err) err = vpx_codec_control(&e->ctx, VP9E_SET_TUNE_CONTENT, VP9E_CONTENT_DEFAULT);
  }
  if (err) {
    set_error("Cannot set encoder controls", &e->ctx, err);
    return -1;
  }
  return 0;
}

static int enc_init(rp_enc *e) {
  vpx_codec_err_t err = vpx_codec_enc_init(&e->ctx, enc_iface(e->codec), &e->cfg, 0);
  if (err) {
    set_error("Cannot initialize the encoder", &e->ctx, err);
    return -1;
  }
  e->initialized = 1;
  return apply_controls(e);
}

/*
 * Creates an encoder. Time base is 1/90000 (RTP video clock); the host passes each frame's
 * pts and duration in 90 kHz ticks, so the rate control sees real frame timing.
 * Returns the encoder or 0 (see rp_vpx_last_error).
 */
RP_EXPORT rp_enc *rp_vpx_enc_create(int codec, int width, int height, int bitrate_kbps, int speed,
                                    int keyframe_interval, int drop_frame_thresh, int min_q,
                                    int max_q, int error_resilient, int undershoot_pct,
                                    int overshoot_pct, int buffer_ms) {
  rp_enc *e = calloc(1, sizeof *e);
  if (!e) {
    snprintf(last_error, sizeof last_error, "out of memory for an encoder");
    return 0;
  }
  e->codec = codec;
  e->width = width;
  e->height = height;
  e->speed = speed;
  e->error_resilient = error_resilient;
  vpx_codec_err_t err = vpx_codec_enc_config_default(enc_iface(codec), &e->cfg, 0);
  if (err) {
    set_error("Cannot get the default encoder config", NULL, err);
    free(e);
    return 0;
  }
  vpx_codec_enc_cfg_t *c = &e->cfg;
  c->g_w = (unsigned)width;
  c->g_h = (unsigned)height;
  c->g_timebase.num = 1;
  c->g_timebase.den = 90000;
  c->g_threads = 1;
  c->g_pass = VPX_RC_ONE_PASS;
  c->g_lag_in_frames = 0;
  c->g_error_resilient = error_resilient ? VPX_ERROR_RESILIENT_DEFAULT : 0;
  c->rc_end_usage = VPX_CBR;
  c->rc_target_bitrate = (unsigned)bitrate_kbps;
  c->rc_min_quantizer = (unsigned)min_q;
  c->rc_max_quantizer = (unsigned)max_q;
  c->rc_dropframe_thresh = (unsigned)drop_frame_thresh;
  c->rc_resize_allowed = 0;
  c->rc_undershoot_pct = (unsigned)undershoot_pct;
  c->rc_overshoot_pct = (unsigned)overshoot_pct;
  c->rc_buf_initial_sz = (unsigned)(buffer_ms / 2);
  c->rc_buf_optimal_sz = (unsigned)(buffer_ms * 6 / 10);
  c->rc_buf_sz = (unsigned)buffer_ms;
  if (keyframe_interval > 0) {
    c->kf_mode = VPX_KF_AUTO;
    c->kf_min_dist = 0;
    c->kf_max_dist = (unsigned)keyframe_interval;
  } else {
    c->kf_mode = VPX_KF_DISABLED; /* keyframes only on request (PLI/FIR) */
  }
  if (ensure_in(e) || enc_init(e)) {
    if (e->initialized) vpx_codec_destroy(&e->ctx);
    free(e->in_buf);
    free(e);
    return 0;
  }
  return e;
}

RP_EXPORT void rp_vpx_enc_destroy(rp_enc *e) {
  if (!e) return;
  if (e->initialized) vpx_codec_destroy(&e->ctx);
  free(e->in_buf);
  free(e->out_buf);
  free(e);
}

/* Where the host writes the next raw frame: tightly packed I420 of the current size. */
RP_EXPORT uint8_t *rp_vpx_enc_input(rp_enc *e) { return e->in_buf; }
RP_EXPORT uint8_t *rp_vpx_enc_output(rp_enc *e) { return e->out_buf; }
/* RP_OUT_KEYFRAME / RP_OUT_DROPPED bits of the last encode. */
RP_EXPORT int rp_vpx_enc_output_flags(rp_enc *e) { return e->out_flags; }

static int append_out(rp_enc *e, const void *buf, size_t len) {
  if (e->out_len + len > e->out_cap) {
    size_t cap = (e->out_len + len) * 2 + 4096;
    uint8_t *p = realloc(e->out_buf, cap);
    if (!p) {
      snprintf(last_error, sizeof last_error, "out of memory for %zu output bytes", len);
      return -1;
    }
    e->out_buf = p;
    e->out_cap = cap;
  }
  memcpy(e->out_buf + e->out_len, buf, len);
  e->out_len += len;
  return 0;
}

/*
 * Encodes the frame in rp_vpx_enc_input(). pts/duration are 90 kHz ticks (doubles: exact up to
 * 2^53). Returns the compressed size (0 when the rate control dropped the frame) or -1.
 * The output buffer may move: read rp_vpx_enc_output() after this call.
 */
RP_EXPORT int rp_vpx_enc_encode(rp_enc *e, double pts, double duration, int flags) {
  vpx_image_t img;
  vpx_img_wrap(&img, VPX_IMG_FMT_I420, (unsigned)e->width, (unsigned)e->height, 1, e->in_buf);
  vpx_enc_frame_flags_t f = (flags & RP_FLAG_FORCE_KEYFRAME) ? VPX_EFLAG_FORCE_KF : 0;
  if ((flags & RP_FLAG_NON_REFERENCE) && !(flags & RP_FLAG_FORCE_KEYFRAME)) {
    f |= VP8_EFLAG_NO_UPD_LAST | VP8_EFLAG_NO_UPD_GF | VP8_EFLAG_NO_UPD_ARF | VP8_EFLAG_NO_UPD_ENTROPY;
  }
  unsigned long dur = duration < 1 ? 1 : (unsigned long)duration;
  e->out_len = 0;
  e->out_flags = 0;
  vpx_codec_err_t err = vpx_codec_encode(&e->ctx, &img, (vpx_codec_pts_t)pts, dur, f, VPX_DL_REALTIME);
  if (err) {
    set_error("Cannot encode a frame", &e->ctx, err);
    return -1;
  }
  vpx_codec_iter_t iter = NULL;
  const vpx_codec_cx_pkt_t *pkt;
  while ((pkt = vpx_codec_get_cx_data(&e->ctx, &iter)) != NULL) {
    if (pkt->kind != VPX_CODEC_CX_FRAME_PKT) continue;
    if (append_out(e, pkt->data.frame.buf, pkt->data.frame.sz)) return -1;
    if (pkt->data.frame.flags & VPX_FRAME_IS_KEY) e->out_flags |= RP_OUT_KEYFRAME;
  }
  if (e->out_len == 0) e->out_flags |= RP_OUT_DROPPED;
  return (int)e->out_len;
}

/* Changes the target bitrate in place (vpx_codec_enc_config_set): no keyframe. */
RP_EXPORT int rp_vpx_enc_set_bitrate(rp_enc *e, int bitrate_kbps) {
  e->cfg.rc_target_bitrate = (unsigned)bitrate_kbps;
  vpx_codec_err_t err = vpx_codec_enc_config_set(&e->ctx, &e->cfg);
  if (err) {
    set_error("Cannot set the bitrate", &e->ctx, err);
    return -1;
  }
  return 0;
}

/* Changes the min quantizer in place (a floor on Q: smaller frames while the rate control catches up). */
RP_EXPORT int rp_vpx_enc_set_min_quantizer(rp_enc *e, int min_q) {
  e->cfg.rc_min_quantizer = (unsigned)min_q;
  vpx_codec_err_t err = vpx_codec_enc_config_set(&e->ctx, &e->cfg);
  if (err) {
    set_error("Cannot set the min quantizer", &e->ctx, err);
    return -1;
  }
  return 0;
}

/* Q (0-63 scale) of the last encoded frame, or -1. */
RP_EXPORT int rp_vpx_enc_last_quantizer(rp_enc *e) {
  int q = -1;
  if (vpx_codec_control(&e->ctx, VP8E_GET_LAST_QUANTIZER_64, &q) != VPX_CODEC_OK) return -1;
  return q;
}

/* Changes max quantizer and drop threshold in place. */
RP_EXPORT int rp_vpx_enc_set_rate_limits(rp_enc *e, int max_q, int drop_frame_thresh) {
  e->cfg.rc_max_quantizer = (unsigned)max_q;
  e->cfg.rc_dropframe_thresh = (unsigned)drop_frame_thresh;
  vpx_codec_err_t err = vpx_codec_enc_config_set(&e->ctx, &e->cfg);
  if (err) {
    set_error("Cannot set rate limits", &e->ctx, err);
    return -1;
  }
  return 0;
}

/*
 * Changes the coded size. libvpx scales in place when the new size is not larger than the
 * first one; otherwise the encoder is re-created (its next frame is then a keyframe).
 * Returns 0 (in place), 1 (re-created) or -1. rp_vpx_enc_input() may move.
 */
RP_EXPORT int rp_vpx_enc_set_size(rp_enc *e, int width, int height) {
  int old_w = e->width, old_h = e->height;
  e->width = width;
  e->height = height;
  if (ensure_in(e)) {
    e->width = old_w;
    e->height = old_h;
    return -1;
  }
  e->cfg.g_w = (unsigned)width;
  e->cfg.g_h = (unsigned)height;
  if (vpx_codec_enc_config_set(&e->ctx, &e->cfg) == VPX_CODEC_OK) return 0;
  vpx_codec_destroy(&e->ctx);
  e->initialized = 0;
  if (enc_init(e)) return -1;
  return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* Decoder */

typedef struct {
  vpx_codec_ctx_t ctx;
  int codec;
  uint8_t *in_buf;
  size_t in_cap;
  /* Last decoded frame: width, height, strideY, strideU, strideV, ptrY, ptrU, ptrV. */
  int32_t info[8];
} rp_dec;

static vpx_codec_iface_t *dec_iface(int codec) {
  return codec == RP_VP9 ? vpx_codec_vp9_dx() : vpx_codec_vp8_dx();
}

RP_EXPORT rp_dec *rp_vpx_dec_create(int codec) {
  rp_dec *d = calloc(1, sizeof *d);
  if (!d) {
    snprintf(last_error, sizeof last_error, "out of memory for a decoder");
    return 0;
  }
  d->codec = codec;
  vpx_codec_dec_cfg_t cfg = {.threads = 1, .w = 0, .h = 0};
  vpx_codec_err_t err = vpx_codec_dec_init(&d->ctx, dec_iface(codec), &cfg, 0);
  if (err) {
    set_error("Cannot initialize the decoder", &d->ctx, err);
    free(d);
    return 0;
  }
  return d;
}

RP_EXPORT void rp_vpx_dec_destroy(rp_dec *d) {
  if (!d) return;
  vpx_codec_destroy(&d->ctx);
  free(d->in_buf);
  free(d);
}

/* A buffer of at least `len` bytes where the host writes the next compressed frame. */
RP_EXPORT uint8_t *rp_vpx_dec_input(rp_dec *d, int len) {
  size_t need = (size_t)len + 64; /* slack: readers may look a little past the end */
  if (need > d->in_cap) {
    uint8_t *p = realloc(d->in_buf, need * 2);
    if (!p) {
      snprintf(last_error, sizeof last_error, "out of memory for a %d-byte frame", len);
      return 0;
    }
    d->in_buf = p;
    d->in_cap = need * 2;
  }
  memset(d->in_buf + len, 0, 64);
  return d->in_buf;
}

/*
 * Decodes `len` bytes from rp_vpx_dec_input(). Returns 1 when a picture is ready (see
 * rp_vpx_dec_frame_info), 0 when the frame produced no picture, -1 on a decode error.
 */
RP_EXPORT int rp_vpx_dec_decode(rp_dec *d, int len) {
  vpx_codec_err_t err = vpx_codec_decode(&d->ctx, d->in_buf, (unsigned)len, NULL, 0);
  if (err) {
    set_error("Cannot decode a frame", &d->ctx, err);
    return -1;
  }
  vpx_codec_iter_t iter = NULL;
  vpx_image_t *img = vpx_codec_get_frame(&d->ctx, &iter);
  if (!img) return 0;
  if (img->fmt != VPX_IMG_FMT_I420) {
    snprintf(last_error, sizeof last_error, "Cannot output image format %d: only I420", (int)img->fmt);
    return -1;
  }
  d->info[0] = (int32_t)img->d_w;
  d->info[1] = (int32_t)img->d_h;
  d->info[2] = img->stride[VPX_PLANE_Y];
  d->info[3] = img->stride[VPX_PLANE_U];
  d->info[4] = img->stride[VPX_PLANE_V];
  d->info[5] = (int32_t)(intptr_t)img->planes[VPX_PLANE_Y];
  d->info[6] = (int32_t)(intptr_t)img->planes[VPX_PLANE_U];
  d->info[7] = (int32_t)(intptr_t)img->planes[VPX_PLANE_V];
  return 1;
}

/* Pointer to 8 int32: width, height, strideY, strideU, strideV, ptrY, ptrU, ptrV. */
RP_EXPORT int32_t *rp_vpx_dec_frame_info(rp_dec *d) { return d->info; }
