/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "timelinetextpad.h"

#include <gst/voice/voice.h>

#include <string>

GST_DEBUG_CATEGORY_STATIC (voice_timeline_text_pad_debug);
#define GST_CAT_DEFAULT voice_timeline_text_pad_debug

/* what one cue may hold; more is cut, with a warning */
#define MAX_CUE_BYTES (64 * 1024)

enum
{
  PROP_0,
  PROP_SPEAKER,
};

struct _GstVoiceTimelineTextPad
{
  GstAudioAggregatorPad parent;

  /* object lock */
  gchar *speaker;
  GstSegment segment;
  gboolean markup;
  gboolean ended;               /* the stream's own EOS came */
  gboolean warned;              /* about bad text, once per stream */

  /* set once, before the pad is used */
  GstVoiceTimelineCueFunc cue_func;
  GstVoiceTimelineTextEndFunc end_func;
  GstPadEventFullFunction aggregator_event;
};

G_DEFINE_TYPE_WITH_CODE (GstVoiceTimelineTextPad, gst_voice_timeline_text_pad,
    GST_TYPE_AUDIO_AGGREGATOR_PAD,
    GST_DEBUG_CATEGORY_INIT (voice_timeline_text_pad_debug,
        "voicetimelinetextpad", 0, "voicetimeline timed text pads"));

void
gst_voice_timeline_pad_store_speaker (GstPad * pad, gchar ** field,
    const gchar * name)
{
  if (name && !gst_voice_speaker_name_is_valid (name)) {
    GST_WARNING_OBJECT (pad, "invalid speaker name ignored");
    g_warning ("voicetimeline: invalid speaker name ignored: a name is "
        "1 to %d ASCII letters, digits, '-' or '_'",
        GST_VOICE_SPEAKER_NAME_MAX_LENGTH);
    return;
  }
  GST_OBJECT_LOCK (pad);
  g_free (*field);
  *field = g_strdup (name);
  GST_OBJECT_UNLOCK (pad);
}

gboolean
gst_voice_timeline_pad_answer_caps (GstPad * pad, GstQuery * query)
{
  GstCaps *filter, *caps = gst_pad_get_pad_template_caps (pad);
  gst_query_parse_caps (query, &filter);
  if (filter) {
    GstCaps *both = gst_caps_intersect_full (filter, caps,
        GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref (caps);
    caps = both;
  }
  gst_query_set_caps_result (query, caps);
  gst_caps_unref (caps);
  return TRUE;
}

void
gst_voice_timeline_text_pad_set_funcs (GstVoiceTimelineTextPad * pad,
    GstVoiceTimelineCueFunc cue_func, GstVoiceTimelineTextEndFunc end_func)
{
  pad->cue_func = cue_func;
  pad->end_func = end_func;
}

gboolean
gst_voice_timeline_text_pad_is_done (GstVoiceTimelineTextPad * pad)
{
  if (!gst_pad_is_linked (GST_PAD (pad)))
    return TRUE;
  GST_OBJECT_LOCK (pad);
  gboolean ended = pad->ended;
  GST_OBJECT_UNLOCK (pad);
  return ended;
}

/* The aggregator never waits for a text pad: a LATENCY query it sends up
 * one is answered here, as a stream that adds none. A live speech-to-text
 * branch with seconds of latency would otherwise delay the recording by
 * them; its text comes late instead, which the timeline takes. */
static GstPadProbeReturn
gst_voice_timeline_text_pad_latency_probe (GstPad *, GstPadProbeInfo * info,
    gpointer)
{
  GstQuery *query = GST_PAD_PROBE_INFO_QUERY (info);
  if (GST_QUERY_TYPE (query) != GST_QUERY_LATENCY)
    return GST_PAD_PROBE_OK;
  gst_query_set_latency (query, FALSE, 0, GST_CLOCK_TIME_NONE);
  return GST_PAD_PROBE_HANDLED;
}

gchar *
gst_voice_timeline_text_pad_dup_speaker (GstVoiceTimelineTextPad * pad)
{
  GST_OBJECT_LOCK (pad);
  gchar *speaker = g_strdup (pad->speaker);
  GST_OBJECT_UNLOCK (pad);
  return speaker;
}

void
gst_voice_timeline_text_pad_release_aggregator (GstVoiceTimelineTextPad * pad)
{
  /* a flushing pad would keep the EOS as sticky and refuse all text */
  if (GST_PAD_IS_FLUSHING (GST_PAD (pad)))
    return;
  GstObject *parent = gst_pad_get_parent (GST_PAD (pad));
  if (!parent)
    return;
  /* the base class's own handling marks the pad EOS (at once, or when
   * its aggregate thread takes the event): it no longer waits for it */
  pad->aggregator_event (GST_PAD (pad), parent, gst_event_new_eos ());
  gst_object_unref (parent);
}

static void
on_markup_text (GMarkupParseContext *, const gchar * text, gsize len,
    gpointer user_data, GError **)
{
  g_string_append_len ((GString *) user_data, text, len);
}

/* Pango markup (what subparse makes of SRT) to its plain text. */
static gchar *
strip_markup (const gchar * text)
{
  static const GMarkupParser parser = { nullptr, nullptr, on_markup_text,
    nullptr, nullptr
  };
  GString *plain = g_string_new (nullptr);
  GMarkupParseContext *ctx = g_markup_parse_context_new (&parser,
      (GMarkupParseFlags) 0, plain, nullptr);
  gboolean ok = g_markup_parse_context_parse (ctx, "<t>", -1, nullptr)
      && g_markup_parse_context_parse (ctx, text, -1, nullptr)
      && g_markup_parse_context_parse (ctx, "</t>", -1, nullptr)
      && g_markup_parse_context_end_parse (ctx, nullptr);
  g_markup_parse_context_free (ctx);
  if (!ok) {
    g_string_free (plain, TRUE);
    return g_strdup (text);
  }
  return g_string_free (plain, FALSE);
}

/* One line, single spaces: a subtitle's line breaks are layout. */
static std::string
one_line (const gchar * text)
{
  std::string out;
  bool space = false;
  for (const gchar * p = text; *p; p++) {
    if (g_ascii_isspace (*p)) {
      space = !out.empty ();
      continue;
    }
    if (space)
      out += ' ';
    space = false;
    out += *p;
  }
  return out;
}

static GstFlowReturn
gst_voice_timeline_text_pad_chain (GstPad * gpad, GstObject * parent,
    GstBuffer * buffer)
{
  GstVoiceTimelineTextPad *pad = GST_VOICE_TIMELINE_TEXT_PAD (gpad);

  GST_OBJECT_LOCK (pad);
  GstSegment segment = pad->segment;
  gboolean markup = pad->markup;
  GST_OBJECT_UNLOCK (pad);

  /* the part of the cue inside the segment */
  GstClockTime pts = GST_BUFFER_PTS (buffer);
  GstClockTime stop = GST_BUFFER_DURATION_IS_VALID (buffer) &&
      GST_CLOCK_TIME_IS_VALID (pts) ? pts + GST_BUFFER_DURATION (buffer) :
      pts;
  guint64 cstart, cstop;
  if (!GST_CLOCK_TIME_IS_VALID (pts)
      || !gst_segment_clip (&segment, GST_FORMAT_TIME, pts, stop, &cstart,
          &cstop)) {
    GST_DEBUG_OBJECT (pad, "text without a time in the segment dropped: %"
        GST_PTR_FORMAT, buffer);
    gst_buffer_unref (buffer);
    return GST_FLOW_OK;
  }
  GstClockTime start = gst_segment_to_running_time (&segment,
      GST_FORMAT_TIME, cstart);
  GstClockTime end = gst_segment_to_running_time (&segment,
      GST_FORMAT_TIME, cstop);
  if (!GST_CLOCK_TIME_IS_VALID (end) || end < start)
    end = start;

  GstMapInfo map;
  if (!gst_buffer_map (buffer, &map, GST_MAP_READ)) {
    gst_buffer_unref (buffer);
    return GST_FLOW_OK;
  }
  const gchar *data = (const gchar *) map.data;
  /* (an empty buffer maps to no data at all) */
  gsize size = map.size ? strnlen (data, map.size) : 0;
  if (size == 0) {
    GST_DEBUG_OBJECT (pad, "empty text dropped");
    gst_buffer_unmap (buffer, &map);
    gst_buffer_unref (buffer);
    return GST_FLOW_OK;
  }
  bool cut = size > MAX_CUE_BYTES;
  if (cut)                      /* at a character's start, not inside it */
    size = g_utf8_find_prev_char (data, data + MAX_CUE_BYTES + 1) - data;
  bool invalid = !g_utf8_validate (data, size, nullptr);
  gchar *valid = g_utf8_make_valid (data, size);
  gst_buffer_unmap (buffer, &map);
  gst_buffer_unref (buffer);

  /* once per stream: a bad source would flood the bus */
  GST_OBJECT_LOCK (pad);
  bool warn = (cut || invalid) && !pad->warned;
  pad->warned |= warn;
  GST_OBJECT_UNLOCK (pad);
  if (warn)
    GST_ELEMENT_WARNING (parent, STREAM, FORMAT,
        ("timed text on %s %s", GST_PAD_NAME (pad), cut ?
            "too long: cut" : "not valid UTF-8: invalid bytes replaced"),
        ("a cue holds at most %d bytes of UTF-8; further warnings of this "
            "stream are not posted", MAX_CUE_BYTES));

  gchar *plain = markup ? strip_markup (valid) : g_strdup (valid);
  std::string text = one_line (plain);
  g_free (plain);
  g_free (valid);

  if (!text.empty () && pad->cue_func)
    pad->cue_func (GST_ELEMENT (parent), pad, start, end, text.c_str ());
  return GST_FLOW_OK;
}

static GstFlowReturn
gst_voice_timeline_text_pad_event (GstPad * gpad, GstObject * parent,
    GstEvent * event)
{
  GstVoiceTimelineTextPad *pad = GST_VOICE_TIMELINE_TEXT_PAD (gpad);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_FLUSH_START:
      /* the base class counts flushes on every pad to end a seek */
      return pad->aggregator_event (gpad, parent, event);
    case GST_EVENT_FLUSH_STOP:{
      GstFlowReturn ret = pad->aggregator_event (gpad, parent, event);
      GST_OBJECT_LOCK (pad);
      gst_segment_init (&pad->segment, GST_FORMAT_TIME);
      pad->ended = FALSE;
      GST_OBJECT_UNLOCK (pad);
      gst_voice_timeline_text_pad_release_aggregator (pad);
      return ret;
    }
    case GST_EVENT_STREAM_START:
      GST_OBJECT_LOCK (pad);
      pad->ended = FALSE;
      pad->warned = FALSE;
      GST_OBJECT_UNLOCK (pad);
      break;
    case GST_EVENT_EOS:
      GST_OBJECT_LOCK (pad);
      pad->ended = TRUE;
      GST_OBJECT_UNLOCK (pad);
      if (pad->end_func)
        pad->end_func (GST_ELEMENT (parent), pad);
      break;
    case GST_EVENT_CAPS:{
      GstCaps *caps;
      gst_event_parse_caps (event, &caps);
      const gchar *format = gst_structure_get_string
          (gst_caps_get_structure (caps, 0), "format");
      GST_OBJECT_LOCK (pad);
      pad->markup = !g_strcmp0 (format, "pango-markup");
      GST_OBJECT_UNLOCK (pad);
      break;
    }
    case GST_EVENT_SEGMENT:{
      GstSegment segment;
      gst_event_copy_segment (event, &segment);
      if (segment.format != GST_FORMAT_TIME) {
        GST_ELEMENT_ERROR (parent, STREAM, FORMAT, (nullptr),
            ("%s needs a TIME segment, not %s", GST_PAD_NAME (pad),
                gst_format_get_name (segment.format)));
        gst_event_unref (event);
        return GST_FLOW_ERROR;
      }
      GST_OBJECT_LOCK (pad);
      pad->segment = segment;
      GST_OBJECT_UNLOCK (pad);
      break;
    }
    default:
      /* gaps, tags: the aggregator never waits for this pad */
      break;
  }
  gst_event_unref (event);
  return GST_FLOW_OK;
}

static gboolean
gst_voice_timeline_text_pad_query (GstPad * gpad, GstObject * parent,
    GstQuery * query)
{
  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_CAPS:
      return gst_voice_timeline_pad_answer_caps (gpad, query);
    case GST_QUERY_ACCEPT_CAPS:{
      GstCaps *caps, *templ = gst_pad_get_pad_template_caps (gpad);
      gst_query_parse_accept_caps (query, &caps);
      gst_query_set_accept_caps_result (query, gst_caps_is_subset (caps,
              templ));
      gst_caps_unref (templ);
      return TRUE;
    }
    default:
      return gst_pad_query_default (gpad, parent, query);
  }
}

static void
gst_voice_timeline_text_pad_constructed (GObject * object)
{
  GstPad *gpad = GST_PAD (object);
  GstVoiceTimelineTextPad *pad = GST_VOICE_TIMELINE_TEXT_PAD (object);

  G_OBJECT_CLASS (gst_voice_timeline_text_pad_parent_class)->constructed
      (object);
  /* the aggregator pad's functions queue data for the aggregate thread;
   * text goes to the timeline at once instead */
  pad->aggregator_event = GST_PAD_EVENTFULLFUNC (gpad);
  gst_pad_set_chain_function (gpad,
      GST_DEBUG_FUNCPTR (gst_voice_timeline_text_pad_chain));
  gst_pad_set_event_full_function (gpad,
      GST_DEBUG_FUNCPTR (gst_voice_timeline_text_pad_event));
  gst_pad_set_query_function (gpad,
      GST_DEBUG_FUNCPTR (gst_voice_timeline_text_pad_query));
  gst_pad_add_probe (gpad, GST_PAD_PROBE_TYPE_QUERY_UPSTREAM,
      gst_voice_timeline_text_pad_latency_probe, nullptr, nullptr);
}

static void
gst_voice_timeline_text_pad_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstVoiceTimelineTextPad *pad = GST_VOICE_TIMELINE_TEXT_PAD (object);

  switch (prop_id) {
    case PROP_SPEAKER:
      gst_voice_timeline_pad_store_speaker (GST_PAD (pad), &pad->speaker,
          g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_voice_timeline_text_pad_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstVoiceTimelineTextPad *pad = GST_VOICE_TIMELINE_TEXT_PAD (object);

  switch (prop_id) {
    case PROP_SPEAKER:
      GST_OBJECT_LOCK (pad);
      g_value_set_string (value, pad->speaker);
      GST_OBJECT_UNLOCK (pad);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_voice_timeline_text_pad_finalize (GObject * object)
{
  GstVoiceTimelineTextPad *pad = GST_VOICE_TIMELINE_TEXT_PAD (object);

  g_free (pad->speaker);

  G_OBJECT_CLASS (gst_voice_timeline_text_pad_parent_class)->finalize
      (object);
}

static void
gst_voice_timeline_text_pad_class_init (GstVoiceTimelineTextPadClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);

  gobject_class->constructed = gst_voice_timeline_text_pad_constructed;
  gobject_class->set_property = gst_voice_timeline_text_pad_set_property;
  gobject_class->get_property = gst_voice_timeline_text_pad_get_property;
  gobject_class->finalize = gst_voice_timeline_text_pad_finalize;

  g_object_class_install_property (gobject_class, PROP_SPEAKER,
      g_param_spec_string ("speaker", "Speaker",
          "Whose words this text is (default: the speaker of the sink pad "
          "with the same number, text_1 for sink_1)", nullptr,
          (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
              GST_PARAM_MUTABLE_PLAYING)));
}

static void
gst_voice_timeline_text_pad_init (GstVoiceTimelineTextPad * pad)
{
  gst_segment_init (&pad->segment, GST_FORMAT_TIME);
}
