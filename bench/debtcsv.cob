      *>================================================================
      *> DEBTCSV - the GnuCOBOL baseline of the offsetgw benchmark.
      *>
      *> Reads a debt250 file (bench/debt250.xml: 250-byte fixed-width
      *> records, header '1', details '2', trailer '9'), checks every
      *> detail the way the layout does for the errors bench/gendebts
      *> makes, and writes the accepted details as CSV, byte for byte
      *> what
      *>   offsetgw parse --layout bench/debt250.xml --format csv
      *>                  --record detail FILE
      *> writes: a header row, then per detail its line number, the
      *> record name and every named field (filler left out).
      *>
      *> Checks: SSN 9 digits and issued by the SSA (area not 000, 666
      *> or 900-999, group not 00, serial not 0000); amount all digits
      *> and at least 10.00; debt date, and notice date when not blank,
      *> a real calendar date.  Rejected details are not written.
      *>
      *> Usage:   debtcsv INPUT [OUTPUT]      (no OUTPUT: stdout)
      *> Build:   cobc -x -O2 -o debtcsv debtcsv.cob
      *> Counts go to stderr.  Exit status 0, or 1 when some details
      *> were rejected (like offsetgw), 2 on a usage or I/O error.
      *>================================================================
       IDENTIFICATION DIVISION.
       PROGRAM-ID. DEBTCSV.

       ENVIRONMENT DIVISION.
       INPUT-OUTPUT SECTION.
       FILE-CONTROL.
           SELECT DEBT-FILE ASSIGN TO WS-IN-NAME
               ORGANIZATION IS LINE SEQUENTIAL
               FILE STATUS IS WS-IN-STATUS.
           SELECT CSV-FILE ASSIGN TO WS-OUT-NAME
               ORGANIZATION IS LINE SEQUENTIAL
               FILE STATUS IS WS-OUT-STATUS.

       DATA DIVISION.
       FILE SECTION.
       FD  DEBT-FILE.
       01  DEBT-REC.
           05  DR-RECORD-TYPE        PIC X.
               88  DR-HEADER                   VALUE "1".
               88  DR-DETAIL                   VALUE "2".
               88  DR-TRAILER                  VALUE "9".
           05  DR-AGENCY-CODE        PIC X(5).
           05  DR-ACCOUNT-ID         PIC X(20).
           05  DR-ACTION             PIC X.
           05  DR-SSN                PIC X(9).
           05  DR-SSN-PARTS REDEFINES DR-SSN.
               10  DR-SSN-AREA       PIC 9(3).
               10  DR-SSN-GROUP      PIC 9(2).
               10  DR-SSN-SERIAL     PIC 9(4).
           05  DR-LAST-NAME          PIC X(30).
           05  DR-FIRST-NAME         PIC X(20).
           05  DR-MIDDLE-INITIAL     PIC X.
           05  DR-SUFFIX             PIC X(3).
           05  DR-STREET             PIC X(40).
           05  DR-CITY               PIC X(25).
           05  DR-STATE              PIC X(2).
           05  DR-ZIP                PIC X(5).
           05  DR-AMOUNT             PIC X(11).
           05  DR-AMOUNT-N REDEFINES DR-AMOUNT
                                     PIC 9(9)V99.
           05  DR-DEBT-DATE          PIC X(8).
           05  DR-NOTICE-DATE        PIC X(8).
           05  DR-DEBT-TYPE          PIC X(2).
           05  FILLER                PIC X(59).

       FD  CSV-FILE
           RECORD IS VARYING IN SIZE FROM 1 TO 512 CHARACTERS
               DEPENDING ON WS-CSV-LEN.
       01  CSV-REC                   PIC X(512).

       WORKING-STORAGE SECTION.
       01  WS-IN-NAME                PIC X(1024) VALUE SPACES.
       01  WS-OUT-NAME               PIC X(1024) VALUE SPACES.
       01  WS-IN-STATUS              PIC XX.
       01  WS-OUT-STATUS             PIC XX.
       01  WS-EOF-FLAG               PIC X VALUE "N".
           88  WS-EOF                          VALUE "Y".

       01  WS-COUNTS.
           05  WS-LINE-NO            PIC 9(9) COMP-5 VALUE 0.
           05  WS-HEADERS            PIC 9(9) COMP-5 VALUE 0.
           05  WS-DETAILS            PIC 9(9) COMP-5 VALUE 0.
           05  WS-ACCEPTED           PIC 9(9) COMP-5 VALUE 0.
           05  WS-REJECTED           PIC 9(9) COMP-5 VALUE 0.
           05  WS-TRAILERS           PIC 9(9) COMP-5 VALUE 0.
           05  WS-OTHERS             PIC 9(9) COMP-5 VALUE 0.

       01  WS-COUNTS-EDITED.
           05  WS-COUNT-ED           PIC Z(9)9 OCCURS 4 TIMES.

       01  WS-VALID-FLAG             PIC X.
           88  WS-VALID                        VALUE "Y".
           88  WS-INVALID                      VALUE "N".

      *> date check: one CCYYMMDD date at a time
       01  WS-DATE                   PIC X(8).
       01  WS-DATE-PARTS REDEFINES WS-DATE.
           05  WS-DATE-YEAR          PIC 9(4).
           05  WS-DATE-MONTH         PIC 9(2).
           05  WS-DATE-DAY           PIC 9(2).
       01  WS-DATE-OK-FLAG           PIC X.
           88  WS-DATE-OK                      VALUE "Y".
       01  WS-MONTH-DAYS-TABLE.
           05  FILLER                PIC X(24)
                   VALUE "312831303130313130313031".
       01  WS-MONTH-DAYS REDEFINES WS-MONTH-DAYS-TABLE.
           05  WS-DAYS-IN            PIC 99 OCCURS 12 TIMES.
       01  WS-MAX-DAY                PIC 99.
       01  WS-QUOT                   PIC 9(4) COMP-5.
       01  WS-REM4                   PIC 9(4) COMP-5.
       01  WS-REM100                 PIC 9(4) COMP-5.
       01  WS-REM400                 PIC 9(4) COMP-5.

      *> rendering
       01  WS-CSV-LEN                PIC 9(4) COMP-5.
       01  WS-PTR                    PIC 9(4) COMP-5.
       01  WS-LINE-ED                PIC Z(9)9.
       01  WS-AMOUNT-ED              PIC Z(8)9.99.
       01  WS-DEBT-DATE-ISO          PIC X(10).
       01  WS-NOTICE-DATE-ISO        PIC X(10).

      *> RFC 4180 quoting, for the fields whose charset allows a comma
      *> or a double quote (text "print" and "name")
       01  WS-SPECIALS               PIC 9(4) COMP-5.
       01  WS-CELL-IN                PIC X(40).
       01  WS-CELL-LEN               PIC 9(4) COMP-5.
       01  WS-I                      PIC 9(4) COMP-5.

       PROCEDURE DIVISION.
       MAIN-PARA.
           PERFORM OPEN-FILES
           PERFORM WRITE-HEADER-ROW
           PERFORM READ-DEBT
           PERFORM UNTIL WS-EOF
               EVALUATE TRUE
                   WHEN DR-DETAIL
                       ADD 1 TO WS-DETAILS
                       PERFORM CHECK-DETAIL
                       IF WS-VALID
                           ADD 1 TO WS-ACCEPTED
                           PERFORM WRITE-DETAIL-CSV
                       ELSE
                           ADD 1 TO WS-REJECTED
                       END-IF
                   WHEN DR-HEADER
                       ADD 1 TO WS-HEADERS
                   WHEN DR-TRAILER
                       ADD 1 TO WS-TRAILERS
                   WHEN OTHER
                       ADD 1 TO WS-OTHERS
               END-EVALUATE
               PERFORM READ-DEBT
           END-PERFORM
           CLOSE DEBT-FILE CSV-FILE
           MOVE WS-LINE-NO TO WS-COUNT-ED(1)
           MOVE WS-DETAILS TO WS-COUNT-ED(2)
           MOVE WS-ACCEPTED TO WS-COUNT-ED(3)
           MOVE WS-REJECTED TO WS-COUNT-ED(4)
           DISPLAY "debtcsv: " FUNCTION TRIM(WS-COUNT-ED(1))
               " lines, " FUNCTION TRIM(WS-COUNT-ED(2)) " details, "
               FUNCTION TRIM(WS-COUNT-ED(3)) " accepted, "
               FUNCTION TRIM(WS-COUNT-ED(4)) " rejected" UPON SYSERR
           IF WS-HEADERS NOT = 1 OR WS-TRAILERS NOT = 1
              OR WS-OTHERS NOT = 0
               DISPLAY "debtcsv: warning: " WS-HEADERS " headers, "
                   WS-TRAILERS " trailers, " WS-OTHERS
                   " lines of no known type" UPON SYSERR
           END-IF
           IF WS-REJECTED > 0
               MOVE 1 TO RETURN-CODE
           ELSE
               MOVE 0 TO RETURN-CODE
           END-IF
           STOP RUN.

       OPEN-FILES.
           ACCEPT WS-IN-NAME FROM ARGUMENT-VALUE
           IF WS-IN-NAME = SPACES
               DISPLAY "usage: debtcsv INPUT [OUTPUT]" UPON SYSERR
               MOVE 2 TO RETURN-CODE
               STOP RUN
           END-IF
           ACCEPT WS-OUT-NAME FROM ARGUMENT-VALUE
           IF WS-OUT-NAME = SPACES
               MOVE "/dev/stdout" TO WS-OUT-NAME
           END-IF
           OPEN INPUT DEBT-FILE
           IF WS-IN-STATUS NOT = "00"
               DISPLAY "debtcsv: cannot open "
                   FUNCTION TRIM(WS-IN-NAME) ": status " WS-IN-STATUS
                   UPON SYSERR
               MOVE 2 TO RETURN-CODE
               STOP RUN
           END-IF
           OPEN OUTPUT CSV-FILE
           IF WS-OUT-STATUS NOT = "00"
               DISPLAY "debtcsv: cannot create "
                   FUNCTION TRIM(WS-OUT-NAME) ": status " WS-OUT-STATUS
                   UPON SYSERR
               MOVE 2 TO RETURN-CODE
               STOP RUN
           END-IF.

       READ-DEBT.
           READ DEBT-FILE
               AT END
                   SET WS-EOF TO TRUE
               NOT AT END
                   ADD 1 TO WS-LINE-NO
           END-READ
           IF WS-IN-STATUS NOT = "00" AND NOT = "10"
               DISPLAY "debtcsv: read error at line " WS-LINE-NO
                   ": status " WS-IN-STATUS UPON SYSERR
               MOVE 2 TO RETURN-CODE
               STOP RUN
           END-IF.

       WRITE-HEADER-ROW.
           MOVE 1 TO WS-PTR
           STRING "line,record,record_type,agency_code,account_id,"
                  "action,ssn,last_name,first_name,middle_initial,"
                  "suffix,street,city,state,zip,amount,debt_date,"
                  "notice_date,debt_type"
                  DELIMITED BY SIZE INTO CSV-REC WITH POINTER WS-PTR
           END-STRING
           COMPUTE WS-CSV-LEN = WS-PTR - 1
           PERFORM WRITE-CSV.

      *> The checks, cheapest first; the first failure rejects.
       CHECK-DETAIL.
           SET WS-INVALID TO TRUE
           IF DR-SSN IS NOT NUMERIC
              OR DR-SSN-AREA = 0 OR DR-SSN-AREA = 666
              OR DR-SSN-AREA >= 900
              OR DR-SSN-GROUP = 0 OR DR-SSN-SERIAL = 0
               EXIT PARAGRAPH
           END-IF
           IF DR-AMOUNT IS NOT NUMERIC OR DR-AMOUNT-N < 10.00
               EXIT PARAGRAPH
           END-IF
           MOVE DR-DEBT-DATE TO WS-DATE
           PERFORM CHECK-DATE
           IF NOT WS-DATE-OK
               EXIT PARAGRAPH
           END-IF
           IF DR-NOTICE-DATE NOT = SPACES
               MOVE DR-NOTICE-DATE TO WS-DATE
               PERFORM CHECK-DATE
               IF NOT WS-DATE-OK
                   EXIT PARAGRAPH
               END-IF
           END-IF
           SET WS-VALID TO TRUE.

      *> WS-DATE a real CCYYMMDD date (Gregorian leap years)?
       CHECK-DATE.
           MOVE "N" TO WS-DATE-OK-FLAG
           IF WS-DATE IS NOT NUMERIC
              OR WS-DATE-MONTH < 1 OR WS-DATE-MONTH > 12
              OR WS-DATE-DAY < 1
               EXIT PARAGRAPH
           END-IF
           MOVE WS-DAYS-IN(WS-DATE-MONTH) TO WS-MAX-DAY
           IF WS-DATE-MONTH = 2
               DIVIDE WS-DATE-YEAR BY 4 GIVING WS-QUOT
                   REMAINDER WS-REM4
               DIVIDE WS-DATE-YEAR BY 100 GIVING WS-QUOT
                   REMAINDER WS-REM100
               DIVIDE WS-DATE-YEAR BY 400 GIVING WS-QUOT
                   REMAINDER WS-REM400
               IF (WS-REM4 = 0 AND WS-REM100 NOT = 0)
                  OR WS-REM400 = 0
                   MOVE 29 TO WS-MAX-DAY
               END-IF
           END-IF
           IF WS-DATE-DAY <= WS-MAX-DAY
               MOVE "Y" TO WS-DATE-OK-FLAG
           END-IF.

       WRITE-DETAIL-CSV.
           MOVE WS-LINE-NO TO WS-LINE-ED
           MOVE DR-AMOUNT-N TO WS-AMOUNT-ED
           STRING DR-DEBT-DATE(1:4) "-" DR-DEBT-DATE(5:2) "-"
                  DR-DEBT-DATE(7:2)
                  DELIMITED BY SIZE INTO WS-DEBT-DATE-ISO
           END-STRING
           IF DR-NOTICE-DATE = SPACES
               MOVE SPACES TO WS-NOTICE-DATE-ISO
           ELSE
               STRING DR-NOTICE-DATE(1:4) "-" DR-NOTICE-DATE(5:2) "-"
                      DR-NOTICE-DATE(7:2)
                      DELIMITED BY SIZE INTO WS-NOTICE-DATE-ISO
               END-STRING
           END-IF

           MOVE 1 TO WS-PTR
           STRING FUNCTION TRIM(WS-LINE-ED LEADING) ",detail,"
                  DR-RECORD-TYPE ","
                  FUNCTION TRIM(DR-AGENCY-CODE TRAILING) ","
                  DELIMITED BY SIZE INTO CSV-REC WITH POINTER WS-PTR
           END-STRING
           MOVE DR-ACCOUNT-ID TO WS-CELL-IN
           PERFORM APPEND-CELL
           STRING "," DR-ACTION "," DR-SSN ","
                  DELIMITED BY SIZE INTO CSV-REC WITH POINTER WS-PTR
           END-STRING
           MOVE DR-LAST-NAME TO WS-CELL-IN
           PERFORM APPEND-CELL
           STRING "," DELIMITED BY SIZE
                  INTO CSV-REC WITH POINTER WS-PTR
           END-STRING
           MOVE DR-FIRST-NAME TO WS-CELL-IN
           PERFORM APPEND-CELL
           STRING ","
                  FUNCTION TRIM(DR-MIDDLE-INITIAL TRAILING) ","
                  FUNCTION TRIM(DR-SUFFIX TRAILING) ","
                  DELIMITED BY SIZE INTO CSV-REC WITH POINTER WS-PTR
           END-STRING
           MOVE DR-STREET TO WS-CELL-IN
           PERFORM APPEND-CELL
           STRING ","
                  FUNCTION TRIM(DR-CITY TRAILING) ","
                  FUNCTION TRIM(DR-STATE TRAILING) ","
                  DR-ZIP ","
                  FUNCTION TRIM(WS-AMOUNT-ED LEADING) ","
                  WS-DEBT-DATE-ISO ","
                  FUNCTION TRIM(WS-NOTICE-DATE-ISO TRAILING) ","
                  FUNCTION TRIM(DR-DEBT-TYPE TRAILING)
                  DELIMITED BY SIZE INTO CSV-REC WITH POINTER WS-PTR
           END-STRING
           COMPUTE WS-CSV-LEN = WS-PTR - 1
           PERFORM WRITE-CSV.

      *> Append WS-CELL-IN, trailing spaces dropped, to CSV-REC at
      *> WS-PTR as one CSV cell: quoted (RFC 4180, quotes doubled)
      *> when it holds a comma or a double quote.  Used for the fields
      *> whose charset allows those (text "print" and "name").
       APPEND-CELL.
           MOVE FUNCTION STORED-CHAR-LENGTH(WS-CELL-IN) TO WS-CELL-LEN
           MOVE 0 TO WS-SPECIALS
           IF WS-CELL-LEN > 0
               INSPECT WS-CELL-IN(1:WS-CELL-LEN) TALLYING WS-SPECIALS
                   FOR ALL "," ALL QUOTE
           END-IF
           IF WS-SPECIALS = 0
               IF WS-CELL-LEN > 0
                   MOVE WS-CELL-IN(1:WS-CELL-LEN)
                       TO CSV-REC(WS-PTR:WS-CELL-LEN)
                   ADD WS-CELL-LEN TO WS-PTR
               END-IF
           ELSE
               MOVE QUOTE TO CSV-REC(WS-PTR:1)
               ADD 1 TO WS-PTR
               PERFORM VARYING WS-I FROM 1 BY 1
                       UNTIL WS-I > WS-CELL-LEN
                   MOVE WS-CELL-IN(WS-I:1) TO CSV-REC(WS-PTR:1)
                   ADD 1 TO WS-PTR
                   IF WS-CELL-IN(WS-I:1) = QUOTE
                       MOVE QUOTE TO CSV-REC(WS-PTR:1)
                       ADD 1 TO WS-PTR
                   END-IF
               END-PERFORM
               MOVE QUOTE TO CSV-REC(WS-PTR:1)
               ADD 1 TO WS-PTR
           END-IF.

       WRITE-CSV.
           WRITE CSV-REC
           IF WS-OUT-STATUS NOT = "00"
               DISPLAY "debtcsv: write error: status " WS-OUT-STATUS
                   UPON SYSERR
               MOVE 2 TO RETURN-CODE
               STOP RUN
           END-IF.
