/* regio: batch computation for regional economics. Umbrella header. */
#ifndef REGIO_REGIO_H
#define REGIO_REGIO_H

#include "regio/categories.h"
#include "regio/codes.h"
#include "regio/dist.h"
#include "regio/error.h"
#include "regio/indices.h"
#include "regio/ingest.h"
#include "regio/memory.h"
#include "regio/output.h"
#include "regio/screen.h"
#include "regio/version.h"

#endif
