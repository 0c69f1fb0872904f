"""Live updates: the receiver, wake-ups, the inbox and its drain, and topics/."""
