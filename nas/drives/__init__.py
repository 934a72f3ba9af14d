"""The plot drives: which they are, what is on them, their health and SMART, which gets the next plot."""
