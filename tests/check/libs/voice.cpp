/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <gst/check/gstcheck.h>
#include <gst/voice/voice.h>

GST_START_TEST (test_speaker_names)
{
  fail_unless (gst_voice_speaker_name_is_valid ("alice"));
  fail_unless (gst_voice_speaker_name_is_valid ("caller_2-leg-B"));
  fail_if (gst_voice_speaker_name_is_valid (nullptr));
  fail_if (gst_voice_speaker_name_is_valid (""));
  fail_if (gst_voice_speaker_name_is_valid ("../x"));
  fail_if (gst_voice_speaker_name_is_valid ("a/b"));
  fail_if (gst_voice_speaker_name_is_valid ("a.b"));
  fail_if (gst_voice_speaker_name_is_valid ("a b"));
  fail_if (gst_voice_speaker_name_is_valid ("\xc3\xa9"));

  gchar *name64 = g_strnfill (64, 'x');
  gchar *name65 = g_strnfill (65, 'x');
  fail_unless (gst_voice_speaker_name_is_valid (name64));
  fail_if (gst_voice_speaker_name_is_valid (name65));
  g_free (name64);
  g_free (name65);
}

GST_END_TEST;

GST_START_TEST (test_roles)
{
  GstVoiceRole role;
  fail_unless_equals_string (gst_voice_role_to_string (GST_VOICE_ROLE_USER),
      "user");
  fail_unless_equals_string (gst_voice_role_to_string (GST_VOICE_ROLE_AGENT),
      "agent");
  fail_unless (gst_voice_role_from_string ("agent", &role));
  fail_unless_equals_int (role, GST_VOICE_ROLE_AGENT);
  fail_if (gst_voice_role_from_string ("Agent", &role));
  fail_if (gst_voice_role_from_string (nullptr, &role));

  GEnumClass *klass = G_ENUM_CLASS (g_type_class_ref (GST_TYPE_VOICE_ROLE));
  fail_unless_equals_int (g_enum_get_value_by_nick (klass, "agent")->value,
      GST_VOICE_ROLE_AGENT);
  g_type_class_unref (klass);
}

GST_END_TEST;

GST_START_TEST (test_speaker_event)
{
  GstEvent *ev = gst_voice_event_new_speaker ("bob", GST_VOICE_ROLE_AGENT);
  fail_unless_equals_int (GST_EVENT_TYPE (ev),
      GST_EVENT_CUSTOM_DOWNSTREAM_STICKY);
  fail_unless (GST_EVENT_IS_STICKY (ev));

  /* what a Python application reads */
  const GstStructure *s = gst_event_get_structure (ev);
  fail_unless (gst_structure_has_name (s, "voice-speaker"));
  fail_unless_equals_string (gst_structure_get_string (s, "name"), "bob");
  fail_unless_equals_string (gst_structure_get_string (s, "role"), "agent");

  gchar *name;
  GstVoiceRole role;
  fail_unless (gst_voice_event_parse_speaker (ev, &name, &role));
  fail_unless_equals_string (name, "bob");
  fail_unless_equals_int (role, GST_VOICE_ROLE_AGENT);
  g_free (name);
  gst_event_unref (ev);

  /* the same structure built by hand with a bad name is refused */
  ev = gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM_STICKY,
      gst_structure_new ("voice-speaker", "name", G_TYPE_STRING, "../etc",
          "role", G_TYPE_STRING, "user", nullptr));
  fail_if (gst_voice_event_parse_speaker (ev, &name, &role));
  gst_event_unref (ev);
}

GST_END_TEST;

GST_START_TEST (test_speech_roundtrip)
{
  GstVoiceSpeech in, out;
  gst_voice_speech_init (&in);
  in.kind = GST_VOICE_SPEECH_STOP;
  in.speaker = g_strdup ("alice");
  in.role = GST_VOICE_ROLE_USER;
  in.start = 1230 * GST_MSECOND;
  in.end = 4560 * GST_MSECOND;
  in.start_running_time = 2230 * GST_MSECOND;
  in.end_running_time = 5560 * GST_MSECOND;
  in.padding = 30 * GST_MSECOND;
  in.marked = TRUE;

  GstEvent *ev = gst_voice_event_new_speech (&in);
  fail_unless_equals_int (GST_EVENT_TYPE (ev), GST_EVENT_CUSTOM_DOWNSTREAM);
  fail_unless (GST_EVENT_IS_SERIALIZED (ev));
  const GstStructure *s = gst_event_get_structure (ev);
  fail_unless (gst_structure_has_name (s, "voice-speech-stop"));
  guint64 duration;
  fail_unless (gst_structure_get_uint64 (s, "duration", &duration));
  fail_unless_equals_uint64 (duration, 3330 * GST_MSECOND);

  fail_unless (gst_voice_event_parse_speech (ev, &out));
  fail_unless_equals_int (out.kind, GST_VOICE_SPEECH_STOP);
  fail_unless_equals_string (out.speaker, "alice");
  fail_unless_equals_uint64 (out.start, in.start);
  fail_unless_equals_uint64 (out.end, in.end);
  fail_unless_equals_uint64 (out.start_running_time, in.start_running_time);
  fail_unless_equals_uint64 (out.end_running_time, in.end_running_time);
  fail_unless_equals_uint64 (out.padding, in.padding);
  fail_unless (out.marked);
  gst_voice_speech_clear (&out);
  gst_event_unref (ev);

  /* a start has no end */
  in.kind = GST_VOICE_SPEECH_START;
  GstMessage *msg = gst_voice_message_new_speech (nullptr, &in, nullptr);
  s = gst_message_get_structure (msg);
  fail_unless (gst_structure_has_name (s, "voice-speech-start"));
  fail_if (gst_structure_has_field (s, "end"));
  guint64 ts;
  fail_unless (gst_structure_get_uint64 (s, "timestamp", &ts));
  fail_unless_equals_uint64 (ts, in.start);
  fail_unless (gst_voice_message_parse_speech (msg, &out));
  fail_unless_equals_int (out.kind, GST_VOICE_SPEECH_START);
  gst_voice_speech_clear (&out);
  gst_message_unref (msg);
  gst_voice_speech_clear (&in);
}

GST_END_TEST;

GST_START_TEST (test_speech_rejects_malformed)
{
  GstVoiceSpeech out;
  const gchar *bad[] = {
    "voice-speech-start, role=(string)user, start=(guint64)1",
    "voice-speech-start, speaker=(string)a, role=(string)boss, start=(guint64)1",
    "voice-speech-start, speaker=(string)a, role=(string)user, start=(string)x",
    "voice-speech-stop, speaker=(string)a, role=(string)user, start=(guint64)5",
    "voice-speech-stop, speaker=(string)a, role=(string)user, "
        "start=(guint64)5, end=(guint64)4",
    "voice-speech-start, speaker=(string)a/b, role=(string)user, start=(guint64)1",
    "something-else, speaker=(string)a, role=(string)user, start=(guint64)1",
  };
  for (const gchar * str:bad) {
    GstStructure *s = gst_structure_from_string (str, nullptr);
    fail_unless (s != nullptr, "%s", str);
    fail_if (gst_voice_speech_from_structure (s, &out), "accepted %s", str);
    gst_structure_free (s);
  }
}

GST_END_TEST;

GST_START_TEST (test_speech_mark)
{
  gboolean speaking;
  GstClockTime ts;

  GstEvent *ev = gst_voice_event_new_speech_mark (TRUE, GST_CLOCK_TIME_NONE);
  fail_unless (gst_voice_event_parse_speech_mark (ev, &speaking, &ts));
  fail_unless (speaking);
  fail_if (GST_CLOCK_TIME_IS_VALID (ts));
  gst_event_unref (ev);

  ev = gst_voice_event_new_speech_mark (FALSE, 42 * GST_MSECOND);
  fail_unless (gst_voice_event_parse_speech_mark (ev, &speaking, &ts));
  fail_if (speaking);
  fail_unless_equals_uint64 (ts, 42 * GST_MSECOND);
  gst_event_unref (ev);

  /* a wrong-typed timestamp is not silently taken as "now" */
  ev = gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM,
      gst_structure_from_string ("voice-speech-mark, speaking=(boolean)true, "
          "timestamp=(string)soon", nullptr));
  fail_if (gst_voice_event_parse_speech_mark (ev, &speaking, &ts));
  gst_event_unref (ev);
}

GST_END_TEST;

static Suite *
voice_suite (void)
{
  Suite *s = suite_create ("voice library");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_speaker_names);
  tcase_add_test (tc, test_roles);
  tcase_add_test (tc, test_speaker_event);
  tcase_add_test (tc, test_speech_roundtrip);
  tcase_add_test (tc, test_speech_rejects_malformed);
  tcase_add_test (tc, test_speech_mark);
  return s;
}

GST_CHECK_MAIN (voice);
