"""What the chia harvester farms, against the plots on the drives."""
