"""What people see: tables and the live views' shared app and text pieces."""
