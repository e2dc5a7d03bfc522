// Inputs every quoting round-trip test runs through: each one has broken some real quoting code.
export const NASTY: readonly string[] = [
  '', ' ', 'plain', 'a b', '  two  spaces  ', '"', '""', "'", "it's", '\\', '\\\\', 'a\\', '\\"', 'C:\\Program Files\\node\\',
  '%', '%%', '%h', '%PATH%', '100%', '$', '$$', '$HOME', '${HOME}', '&', '|', '<>', '^', '^^', '(x)', '!', ';', '-x', '@y', '#',
  'ünïcødé', '日本語 パス', '🚀 rocket', 'tab\there', '&amp;', '<![CDATA[', ']]>', 'a=b', '`cmd`',
];

/** Nasty inputs a one-line format can carry only through escapes (or not at all). */
export const LINE_BREAKS: readonly string[] = ['new\nline', 'cr\rlf', '\r\n'];
