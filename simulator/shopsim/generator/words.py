"""Word lists the generator draws names, places, products and states from."""

# fmt: off
FIRST = [
    "Ava", "Liam", "Noah", "Emma", "Olivia", "Mia", "Lucas", "Sofia", "Mateo", "Amara", "Yuki",
    "Chen", "Priya", "Omar", "Lena", "Jonas", "Ines", "Hugo", "Zoe", "Ivan", "Nadia", "Tariq",
    "Elif", "Kofi", "Sara", "Leo", "Maya", "Ethan", "Chloe", "Arjun",
]
LAST = [
    "Smith", "Garcia", "Müller", "Rossi", "Dubois", "Kowalski", "Silva", "Tanaka", "Nguyen",
    "Okafor", "Haddad", "Jensen", "Novak", "Fischer", "Moreau", "Costa", "Ibrahim", "Kim", "Patel",
    "Larsen", "O'Brien", "Schmidt", "Petrov", "Andersson",
]
CITIES = [
    ("Ottawa", "Ontario", "ON", "Canada", "CA", "K2P 1L4"),
    ("Toronto", "Ontario", "ON", "Canada", "CA", "M5V 2T6"),
    ("Austin", "Texas", "TX", "United States", "US", "78701"),
    ("Brooklyn", "New York", "NY", "United States", "US", "11201"),
    ("Berlin", "Berlin", "BE", "Germany", "DE", "10115"),
    ("Lyon", "Auvergne-Rhône-Alpes", "ARA", "France", "FR", "69002"),
    ("Leeds", "England", "ENG", "United Kingdom", "GB", "LS1 4AP"),
    ("Portland", "Oregon", "OR", "United States", "US", "97205"),
]
STREETS = ["Elm", "Oak", "Maple", "King", "Queen", "Church", "Mill", "Station", "Harbour", "Cedar"]
TAGS = [
    "vip", "wholesale", "newsletter", "repeat-buyer", "gift", "local", "influencer", "b2b",
    "first-order", "loyalty",
]
PRODUCT_WORDS = [
    ("Aviator", "Sunglasses", "Accessories"), ("Merino", "Sweater", "Apparel"),
    ("Canvas", "Tote", "Bags"), ("Ceramic", "Mug", "Home"), ("Trail", "Runner", "Shoes"),
    ("Linen", "Shirt", "Apparel"), ("Walnut", "Board", "Home"), ("Wool", "Beanie", "Accessories"),
    ("Cotton", "Tee", "Apparel"), ("Leather", "Wallet", "Accessories"),
]
SIZES = ("S", "M", "L", "XL")
EMAIL_STATES = ("SUBSCRIBED", "NOT_SUBSCRIBED", "UNSUBSCRIBED", "PENDING", "REDACTED", "INVALID")
SMS_STATES = ("SUBSCRIBED", "NOT_SUBSCRIBED", "UNSUBSCRIBED", "PENDING", "REDACTED")
OPT_IN = ("SINGLE_OPT_IN", "CONFIRMED_OPT_IN", "UNKNOWN")
SHIPMENT = (
    "CONFIRMED", "IN_TRANSIT", "OUT_FOR_DELIVERY", "DELIVERED", "ATTEMPTED_DELIVERY", "FAILURE",
)
DISCOUNTS = ("WELCOME10", "SUMMER15", "VIP20", "FREESHIP")
# fmt: on
