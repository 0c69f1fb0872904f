"""Commerce records (orders, checkouts, carts, products, collections), source-agnostic."""
