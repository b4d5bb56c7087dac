package tail

// ANSI SGR parameters of the pretty output's colours.
const (
	bold      = "1"
	dim       = "2"
	red       = "31"
	green     = "32"
	yellow    = "33"
	boldRed   = "1;31"
	boldGreen = "1;32"
	banner    = "1;97;41" // bold bright white on red: a gap
)

// typeColors colours the type column by event kind; others stay plain.
var typeColors = map[string]string{
	"state_changed":        "36", // cyan
	"call_service":         "35", // magenta
	"automation_triggered": yellow,
	"script_started":       "34", // blue
	"state":                dim,
}

// style paints text with ANSI colours, or leaves it alone when false.
type style bool

// paint wraps text in the SGR sequence sgr and a reset; plain text when s is off, sgr or text
// is empty.
func (s style) paint(sgr, text string) string {
	if !s || sgr == "" || text == "" {
		return text
	}
	return "\x1b[" + sgr + "m" + text + "\x1b[0m"
}

// col is text painted, then padded with spaces to width runes.
func (s style) col(sgr, text string, width int) string {
	return s.paint(sgr, text) + pad(text, width)
}
