"""NAS role: receive plots, manage JBOD drives, SMART, alerts."""
