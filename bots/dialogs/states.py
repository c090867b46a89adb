"""Every dialog state of the tenant bot, one `StatesGroup` per dialog."""

from aiogram.fsm.state import State, StatesGroup

# --- the owner (/admin) ----------------------------------------------------------------------


class AdminMenu(StatesGroup):
    home = State()


class AdminServices(StatesGroup):
    list = State()
    card = State()
    form = State()  # add (no service chosen) or edit
    delete = State()  # «Удалить?» with the bookings it would cancel


class AdminStaff(StatesGroup):
    list = State()
    card = State()
    add = State()
    services = State()
    delete = State()  # «Удалить?» with the bookings it would cancel
    move = State()  # «Удалить и перенести?» with who would take each booking
    revoke = State()  # «Отозвать доступ?» of a specialist connected to the bot
    unexcept = State()  # «Удалить исключение?» (a day off, other hours) from the card
    unblock = State()  # «Открыть закрытое время?» from the card


class AdminHours(StatesGroup):
    week = State()
    exception = State()
    block = State()  # a range closed for booking (a break, a meeting)
    confirm = State()  # the new hours strand bookings: shown before saving
    move = State()  # who would take each stranded booking, before saving


class AdminBookings(StatesGroup):
    pick = State()
    day = State()
    week = State()
    date = State()
    cancel = State()


class AdminSettings(StatesGroup):
    list = State()
    ask = State()


class AdminClients(StatesGroup):
    search = State()  # a name or a phone typed
    found = State()
    card = State()
    note = State()  # the owner's note typed


class AdminReports(StatesGroup):
    stats = State()
    range = State()  # a typed period


ADMIN_GROUPS = (
    AdminMenu,
    AdminServices,
    AdminStaff,
    AdminHours,
    AdminBookings,
    AdminSettings,
    AdminReports,
    AdminClients,
)
ADMIN_STATES = frozenset(state for group in ADMIN_GROUPS for state in group.__states__)

# the owner's screens that wait for typed text; elsewhere a message is not the dialog's
ADMIN_INPUTS = frozenset(
    {
        AdminServices.form,
        AdminStaff.add,
        AdminHours.week,
        AdminHours.exception,
        AdminHours.block,
        AdminBookings.date,
        AdminSettings.ask,
        AdminReports.range,
        AdminClients.search,
        AdminClients.note,
    }
)


# --- a specialist (/staff) ------------------------------------------------------------------
# The calendar's handlers (bots/dialogs/admin/bookings.py) and the hours' (…/admin/hours.py)
# find their screens by name in the open dialog's group: `day` and `week`, `confirm`.


class StaffMenu(StatesGroup):
    home = State()
    day = State()
    week = State()


class StaffHours(StatesGroup):
    block = State()  # their own time closed for booking, typed as the owner types it
    confirm = State()  # it strands bookings: shown before saving


STAFF_STATES = frozenset(StaffMenu.__states__ + StaffHours.__states__)
STAFF_INPUTS = frozenset({StaffHours.block})


# --- the customer --------------------------------------------------------------------------


class BookingSG(StatesGroup):
    """Booking: service → specialist → day → time → name → phone → summary; also the
    reschedule of «Мои записи», which starts at `day`."""

    service = State()
    staff = State()
    day = State()
    time = State()
    name = State()
    phone = State()
    summary = State()
    finished = State()


class MySG(StatesGroup):
    """«Мои записи»: the list, a booking's card, «Точно отменить?», the outcome."""

    list = State()
    card = State()
    cancel = State()
    finished = State()
