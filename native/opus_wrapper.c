/*
 * rtcpipe's C API over libopus, compiled to WebAssembly by scripts/build-codecs.mjs.
 *
 * Every frame is 20 ms at 48 kHz (960 samples per channel, interleaved Int16). The wrapper
 * owns the PCM and packet buffers and hands out pointers, so the host copies only the data.
 * Errors: negative return values (libopus codes) or 0 from constructors; the message is in
 * rp_opus_last_error().
 */
#include <emscripten.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "opus.h"

#define RP_EXPORT EMSCRIPTEN_KEEPALIVE

enum { RP_FRAME_SAMPLES = 960, RP_MAX_PACKET = 1500 };

/* Settings the host can change live, by number (see rp_opus_enc_set). */
enum {
  RP_SET_BITRATE = 1,
  RP_SET_COMPLEXITY = 2,
  RP_SET_INBAND_FEC = 3,
  RP_SET_PACKET_LOSS_PCT = 4,
  RP_SET_DTX = 5
};

static char last_error[256];

static void set_error(const char *what, int code) {
  snprintf(last_error, sizeof last_error, "%s: %s", what, opus_strerror(code));
}

RP_EXPORT const char *rp_opus_last_error(void) { return last_error; }

/* ------------------------------------------------------------------------------------------ */

typedef struct {
  OpusEncoder *enc;
  int channels;
  int16_t pcm[RP_FRAME_SAMPLES * 2];
  uint8_t packet[RP_MAX_PACKET];
} rp_enc;

RP_EXPORT int rp_opus_enc_set(rp_enc *e, int what, int value) {
  int err;
  switch (what) {
    case RP_SET_BITRATE: err = opus_encoder_ctl(e->enc, OPUS_SET_BITRATE(value)); break;
    case RP_SET_COMPLEXITY: err = opus_encoder_ctl(e->enc, OPUS_SET_COMPLEXITY(value)); break;
    case RP_SET_INBAND_FEC: err = opus_encoder_ctl(e->enc, OPUS_SET_INBAND_FEC(value)); break;
    case RP_SET_PACKET_LOSS_PCT: err = opus_encoder_ctl(e->enc, OPUS_SET_PACKET_LOSS_PERC(value)); break;
    case RP_SET_DTX: err = opus_encoder_ctl(e->enc, OPUS_SET_DTX(value)); break;
    default: err = OPUS_UNIMPLEMENTED; break;
  }
  if (err != OPUS_OK) set_error("Cannot change an encoder setting", err);
  return err;
}

/* application: 0 = VOIP (speech), 1 = AUDIO (music), 2 = RESTRICTED_LOWDELAY. */
RP_EXPORT rp_enc *rp_opus_enc_create(int channels, int application, int bitrate_bps, int complexity,
                                     int inband_fec, int packet_loss_pct, int dtx) {
  static const int apps[3] = {OPUS_APPLICATION_VOIP, OPUS_APPLICATION_AUDIO,
                              OPUS_APPLICATION_RESTRICTED_LOWDELAY};
  rp_enc *e = calloc(1, sizeof *e);
  if (!e) {
    snprintf(last_error, sizeof last_error, "out of memory for an encoder");
    return 0;
  }
  int err = 0;
  e->channels = channels;
  e->enc = opus_encoder_create(48000, channels, apps[application < 0 || application > 2 ? 0 : application], &err);
  if (err != OPUS_OK || !e->enc) {
    set_error("Cannot create the Opus encoder", err);
    free(e);
    return 0;
  }
  opus_encoder_ctl(e->enc, OPUS_SET_VBR(1));
  opus_encoder_ctl(e->enc, OPUS_SET_SIGNAL(application == 1 ? OPUS_SIGNAL_MUSIC : OPUS_SIGNAL_VOICE));
  if (rp_opus_enc_set(e, RP_SET_BITRATE, bitrate_bps) || rp_opus_enc_set(e, RP_SET_COMPLEXITY, complexity) ||
      rp_opus_enc_set(e, RP_SET_INBAND_FEC, inband_fec) ||
      rp_opus_enc_set(e, RP_SET_PACKET_LOSS_PCT, packet_loss_pct) || rp_opus_enc_set(e, RP_SET_DTX, dtx)) {
    opus_encoder_destroy(e->enc);
    free(e);
    return 0;
  }
  return e;
}

RP_EXPORT void rp_opus_enc_destroy(rp_enc *e) {
  if (!e) return;
  opus_encoder_destroy(e->enc);
  free(e);
}

/* Where the host writes 960 * channels interleaved samples. */
RP_EXPORT int16_t *rp_opus_enc_input(rp_enc *e) { return e->pcm; }
RP_EXPORT uint8_t *rp_opus_enc_output(rp_enc *e) { return e->packet; }

/* Encodes one 20 ms frame; returns the packet size (1-2 bytes: DTX, need not be sent) or < 0. */
RP_EXPORT int rp_opus_enc_encode(rp_enc *e) {
  int n = opus_encode(e->enc, e->pcm, RP_FRAME_SAMPLES, e->packet, RP_MAX_PACKET);
  if (n < 0) set_error("Cannot encode a frame", n);
  return n;
}

/* Codec delay (lookahead) in samples at 48 kHz. */
RP_EXPORT int rp_opus_enc_lookahead(rp_enc *e) {
  opus_int32 v = 0;
  opus_encoder_ctl(e->enc, OPUS_GET_LOOKAHEAD(&v));
  return v;
}

/* ------------------------------------------------------------------------------------------ */

typedef struct {
  OpusDecoder *dec;
  int channels;
  uint8_t packet[RP_MAX_PACKET];
  int16_t pcm[RP_FRAME_SAMPLES * 2];
} rp_dec;

RP_EXPORT rp_dec *rp_opus_dec_create(int channels) {
  rp_dec *d = calloc(1, sizeof *d);
  if (!d) {
    snprintf(last_error, sizeof last_error, "out of memory for a decoder");
    return 0;
  }
  int err = 0;
  d->channels = channels;
  d->dec = opus_decoder_create(48000, channels, &err);
  if (err != OPUS_OK || !d->dec) {
    set_error("Cannot create the Opus decoder", err);
    free(d);
    return 0;
  }
  return d;
}

RP_EXPORT void rp_opus_dec_destroy(rp_dec *d) {
  if (!d) return;
  opus_decoder_destroy(d->dec);
  free(d);
}

/* Where the host writes a packet (up to 1500 bytes), and reads 960 * channels samples. */
RP_EXPORT uint8_t *rp_opus_dec_input(rp_dec *d) { return d->packet; }
RP_EXPORT int16_t *rp_opus_dec_output(rp_dec *d) { return d->pcm; }

/*
 * mode 0: decode the packet of `len` bytes.
 * mode 1: packet loss concealment for one 20 ms frame (no packet; `len` ignored).
 * mode 2: recover the PREVIOUS frame from the in-band FEC (LBRR) data of the packet of `len`
 *         bytes (falls back to concealment inside libopus when the packet carries none).
 * Returns samples per channel written (960 for 20 ms) or < 0.
 */
RP_EXPORT int rp_opus_dec_decode(rp_dec *d, int len, int mode) {
  int n;
  if (mode == 1) {
    n = opus_decode(d->dec, NULL, 0, d->pcm, RP_FRAME_SAMPLES, 0);
  } else {
    n = opus_decode(d->dec, d->packet, len, d->pcm, RP_FRAME_SAMPLES, mode == 2 ? 1 : 0);
  }
  if (n < 0) set_error("Cannot decode a packet", n);
  return n;
}

/* Samples per channel in a packet (for checking it is 20 ms) or < 0 when malformed. */
RP_EXPORT int rp_opus_dec_packet_samples(rp_dec *d, int len) {
  return opus_packet_get_nb_samples(d->packet, len, 48000);
}
